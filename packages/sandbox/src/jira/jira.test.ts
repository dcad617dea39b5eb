import { useSandbox } from '../__testUtils__/sandbox';

describe('Jira REST', () => {
  const sandbox = useSandbox();
  const call = (
    method: string,
    path: string,
    body?: unknown,
    auth = 'Basic dXNlcjp0b2tlbg==',
  ) =>
    fetch(`${sandbox().jiraUrl}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it.each(['2', '3'])('creates and reads an issue through API v%s', async v => {
    const description =
      v === '3'
        ? { type: 'doc', version: 1, content: [] }
        : 'Please create a database';
    const res = await call('POST', `/rest/api/${v}/issue`, {
      fields: {
        project: { key: 'PLAT' },
        issuetype: { name: 'Task' },
        summary: 'New database',
        description,
        labels: ['konductor'],
      },
    });
    expect(res.status).toBe(201);
    const { key, self } = await res.json();
    expect(key).toMatch(/^PLAT-\d+$/);
    expect(self).toContain(`/rest/api/${v}/issue/`);
    const issue = await (
      await call('GET', `/rest/api/${v}/issue/${key}`)
    ).json();
    expect(issue.fields).toMatchObject({
      summary: 'New database',
      description,
      labels: ['konductor'],
      status: { name: 'To Do', statusCategory: { key: 'new' } },
    });
  });

  it('lists and performs transitions through to Done', async () => {
    const { key } = await (
      await call('POST', '/rest/api/2/issue', {
        fields: {
          project: { key: 'OPS' },
          issuetype: { name: 'Task' },
          summary: 'x',
        },
      })
    ).json();
    const { transitions } = await (
      await call('GET', `/rest/api/2/issue/${key}/transitions`)
    ).json();
    expect(transitions.map((t: any) => t.name)).toEqual([
      'In Progress',
      'Done',
    ]);
    expect(
      (
        await call('POST', `/rest/api/2/issue/${key}/transitions`, {
          transition: { id: '31' },
        })
      ).status,
    ).toBe(204);
    expect(
      (await (await call('GET', `/rest/api/2/issue/${key}`)).json()).fields
        .status.statusCategory.key,
    ).toBe('done');
    const bad = await call('POST', `/rest/api/2/issue/${key}/transitions`, {
      transition: { id: '31' },
    });
    expect(bad.status).toBe(400);
  });

  it("answers bad input with Jira's error shape", async () => {
    const invalid = await call('POST', '/rest/api/2/issue', {
      fields: { project: { key: 'NOPE' }, issuetype: { name: 'Task' } },
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({
      errorMessages: [],
      errors: {
        project: 'valid project is required',
        summary: 'You must specify a summary of the issue.',
      },
    });
    expect((await call('GET', '/rest/api/2/issue/PLAT-999')).status).toBe(404);
    expect(
      (await call('GET', '/rest/api/2/issue/PLAT-1', undefined, '')).status,
    ).toBe(401);
    const malformed = await fetch(`${sandbox().jiraUrl}/rest/api/2/issue`, {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
  });
});
