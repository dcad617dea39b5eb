import { json } from '../types';

/** An error as GitHub's REST API answers one. */
export const err = (
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
) =>
  json(status, {
    message,
    documentation_url: 'https://docs.github.com/rest',
    status: String(status),
    ...extra,
  });

export const notFound = () => err(404, 'Not Found');

/** GitHub's 422 with its `errors` list. */
export const invalid = (
  errors: (Record<string, unknown> | string)[],
  message = 'Validation Failed',
) => err(422, message, { errors });
