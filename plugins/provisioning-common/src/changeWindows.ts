import { z } from 'zod/v3';
import { createPermission } from '@backstage/plugin-permission-common';
import { ENVIRONMENTS } from './stackSpec';
import { APPROVAL_OPERATIONS } from './approvals';

/** Who may let a run through: a group or user entity ref, or `owner` (the stack's owner group). */
export const approverRefSchema = z
  .string()
  .regex(
    /^((group|user):[^/\s]+\/[^\s]+|owner)$/,
    'must be a group or user entity ref, or owner',
  );

/**
 * `POST /change-windows`: a freeze declared by a platform admin in the portal. From `from` until
 * `to`, runs in `environments` (of `operations`, or all) wait for one of `approvers`, the
 * emergency path, whatever the other approval rules say.
 */
export const changeWindowDeclarationSchema = z
  .object({
    description: z
      .string()
      .trim()
      .min(1, 'say why changes are frozen')
      .max(200, 'must be at most 200 characters'),
    environments: z
      .array(z.enum(ENVIRONMENTS))
      .min(1, 'name the environments that are frozen'),
    operations: z
      .array(z.enum(APPROVAL_OPERATIONS))
      .min(1, 'name the operations that are frozen, or leave it out for all')
      .optional(),
    from: z
      .string()
      .datetime({ offset: true, message: 'must be a time in ISO 8601' }),
    to: z
      .string()
      .datetime({ offset: true, message: 'must be a time in ISO 8601' }),
    approvers: z
      .array(approverRefSchema)
      .min(1, 'name who may let an emergency change through')
      .max(20),
  })
  .strict()
  .refine(w => Date.parse(w.from) < Date.parse(w.to), {
    message: 'the freeze ends (to) after it starts (from)',
    path: ['to'],
  });
export type ChangeWindowDeclaration = z.infer<
  typeof changeWindowDeclarationSchema
>;

/**
 * A change window (`GET /change-windows`): from config (an approval rule with a window) or
 * declared in the portal, with when it holds runs, in words.
 */
export interface ChangeWindow {
  /** The portal's id of a declared window; `config-<n>` for config's n-th rule. */
  id: string;
  source: 'config' | 'portal';
  description: string;
  /** Unset: every environment. */
  environments?: string[];
  /** Unset: every operation. */
  operations?: string[];
  /** When it holds runs, such as "until 2027-01-04T00:00:00.000Z" or "fri, sat 22:00-06:00 (UTC)". */
  when: string;
  /** A dated window's start and end (a weekly one has none). */
  from?: string;
  to?: string;
  /** Who may let an emergency change through. */
  approvers: string[];
  /** Whether it holds runs now. */
  active: boolean;
  declaredBy?: string;
  declaredAt?: string;
}

/** Declaring and withdrawing change windows (freezes) in the portal (admins). */
export const provisioningChangeWindowUpdatePermission = createPermission({
  name: 'provisioning.changeWindow.update',
  attributes: { action: 'update' },
});
