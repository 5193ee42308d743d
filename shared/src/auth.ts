import { z } from 'zod';
import { IsoDateTime, Uuid } from './ids';
import { nameText } from './names';

export const PASSWORD_MIN = 12;
/** Bounded so that hashing cannot be turned into a denial of service. */
export const PASSWORD_MAX = 256;

/** Emails are compared case-insensitively: stored trimmed and lower-cased. */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((e) => e.toLowerCase());

export const Password = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

export const DisplayName = nameText(100);

/** One-time tokens travel as base64url of 32 random bytes. */
export const OneTimeToken = z
  .string()
  .min(20)
  .max(200)
  .regex(/^[A-Za-z0-9_-]+$/);

export const SetupBody = z.strictObject({
  token: OneTimeToken,
  email: Email,
  name: DisplayName,
  password: Password,
});
export type SetupBody = z.infer<typeof SetupBody>;

export const SignUpBody = z.strictObject({
  email: Email,
  name: DisplayName,
  password: Password,
  /** Required when sign-up is invite-only. */
  invitation: z.strictObject({ workspaceId: Uuid, token: OneTimeToken }).optional(),
});
export type SignUpBody = z.infer<typeof SignUpBody>;

export const VerifyEmailBody = z.strictObject({ token: OneTimeToken });

export const RequestPasswordResetBody = z.strictObject({ email: Email });

export const ResetPasswordBody = z.strictObject({ token: OneTimeToken, newPassword: Password });

export const SignInBody = z.strictObject({
  email: Email,
  password: z.string().min(1).max(PASSWORD_MAX),
});
export type SignInBody = z.infer<typeof SignInBody>;

export const ChangePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(PASSWORD_MAX),
  newPassword: Password,
});
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const Me = z.object({
  id: Uuid,
  email: z.string(),
  name: z.string(),
  emailVerified: z.boolean(),
  instanceAdmin: z.boolean(),
  createdAt: IsoDateTime,
});
export type Me = z.infer<typeof Me>;

export const SessionInfo = z.object({
  id: Uuid,
  browser: z.string(),
  ip: z.string().nullable(),
  createdAt: IsoDateTime,
  lastUsedAt: IsoDateTime,
  current: z.boolean(),
});
export type SessionInfo = z.infer<typeof SessionInfo>;

export const SessionList = z.object({ items: z.array(SessionInfo) });

/** How many sessions a "sign out everywhere else" ended. */
export const SessionsRevoked = z.object({ revoked: z.number().int().nonnegative() });
export type SessionsRevoked = z.infer<typeof SessionsRevoked>;

/** The generic answer to sign-up: it says nothing about whether the address was known. */
export const Accepted = z.object({ message: z.string() });
