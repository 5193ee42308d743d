import { randomUUID } from 'node:crypto';
import type { Me, SetupBody, SignInBody, SignUpBody } from '@enclave/shared';
import { hashToken, newToken } from '../crypto/tokens';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../crypto/passwords';
import { AppError } from '../engine/errors';
import { invitationStatus } from '../engine/admin-ops';
import type { Logger } from '../logger';
import type { Store, UserRow } from '../store/types';
import { isFreemail } from './freemail';
import type { Mailer } from './mailer';

const SETUP_TOKEN_KEY = 'setup_token_hash';
const VERIFY_TTL_MS = 24 * 60 * 60 * 1000;
/** Reset links are short-lived: they are as good as the password itself. */
const RESET_TTL_MS = 60 * 60 * 1000;

/** The one answer to every sign-up, so that it tells nobody whether an address has an account. */
export const SIGNUP_ACCEPTED = 'If this address can be used, a verification link is on its way to it.';
export const RESET_ACCEPTED = 'If this address has an account, a password reset link is on its way to it.';

export interface AccountsOptions {
  signup: 'invite' | 'open';
  blockFreemail: boolean;
  publicUrl: string;
}

export function toMe(user: UserRow): Me {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerifiedAt !== null,
    instanceAdmin: user.instanceAdmin,
    createdAt: user.createdAt,
  };
}

export class AccountsService {
  constructor(
    private readonly store: Store,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly options: AccountsOptions,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * On a server with no account yet, makes a fresh one-time setup token (replacing any earlier
   * one) and returns the link that creates the first owner. Returns null once set up.
   */
  async prepareSetup(): Promise<string | null> {
    if ((await this.store.control.countUsers()) > 0) {
      await this.store.control.setMeta(SETUP_TOKEN_KEY, null);
      return null;
    }
    const token = newToken();
    await this.store.control.setMeta(SETUP_TOKEN_KEY, hashToken(token));
    return `${this.options.publicUrl}/console/setup?token=${token}`;
  }

  async completeSetup(body: SetupBody): Promise<UserRow> {
    const passwordHash = await hashPassword(body.password);
    // Consuming the token is atomic: of two concurrent setups, one wins.
    const consumed = await this.store.control.compareAndSetMeta(SETUP_TOKEN_KEY, hashToken(body.token), null);
    if (!consumed || (await this.store.control.countUsers()) > 0) {
      throw new AppError(
        'setup_unavailable',
        'This setup link is not valid (or the server is already set up)',
      );
    }
    // The operator holding the setup link is trusted with the address they give.
    const user = this.newUser(body, passwordHash, { verified: true, instanceAdmin: true });
    await this.store.control.createUser(user);
    return user;
  }

  private newUser(
    who: { email: string; name: string },
    passwordHash: string,
    flags: { verified: boolean; instanceAdmin: boolean },
  ): UserRow {
    const now = this.clock().toISOString();
    return {
      id: randomUUID(),
      email: who.email,
      name: who.name,
      passwordHash,
      emailVerifiedAt: flags.verified ? now : null,
      instanceAdmin: flags.instanceAdmin,
      createdAt: now,
    };
  }

  async signUp(body: SignUpBody): Promise<void> {
    if (this.options.blockFreemail && isFreemail(body.email)) {
      throw new AppError('signup_closed', 'Please sign up with your work email address');
    }
    if (this.options.signup === 'invite') await this.requireInvitation(body);
    // Hash first, whatever happens next: both branches below then take the same time.
    const passwordHash = await hashPassword(body.password);
    const user = this.newUser(body, passwordHash, { verified: false, instanceAdmin: false });
    let created = await this.store.control.createUser(user);
    if (!created) {
      // An address held by an account never verified within the link's lifetime is freed for a
      // new sign-up. A younger one is not: otherwise anyone could replace the password of an
      // account its owner is about to verify. (The password holder gets a new link by signing in.)
      const existing = await this.store.control.getUserByEmail(body.email);
      const stale = new Date(this.clock().getTime() - VERIFY_TTL_MS).toISOString();
      if (existing && !existing.emailVerifiedAt && existing.createdAt < stale) {
        created =
          (await this.store.control.deleteUnverifiedUser(existing.id)) &&
          (await this.store.control.createUser(user));
      }
    }
    if (created) {
      await this.sendMail(() => this.sendVerification(user));
      return;
    }
    await this.sendMail(() =>
      this.mailer.send({
        to: body.email,
        subject: 'Someone tried to sign up to Enclave with your address',
        text: 'Someone tried to create an Enclave account with this email address, which already has one.\nIf it was you, sign in instead. If not, you can ignore this message.',
      }),
    );
  }

  /**
   * A mail server failure must neither change the answer (which would tell whether the address
   * is known) nor strand the account: the failure is logged and signing up again sends a new link.
   */
  private async sendMail(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      this.logger.error({ err }, 'sending mail failed');
    }
  }

  private async requireInvitation(body: SignUpBody): Promise<void> {
    const closed = new AppError(
      'signup_closed',
      'Sign-up is by invitation only; use the link in your invitation',
    );
    if (!body.invitation) throw closed;
    const ws = await this.store.workspace(body.invitation.workspaceId);
    const invitation = await ws?.getInvitationByTokenHash(hashToken(body.invitation.token));
    const now = this.clock().toISOString();
    if (!invitation || invitation.email !== body.email || invitationStatus(invitation, now) !== 'pending')
      throw closed;
  }

  private async sendVerification(user: UserRow): Promise<void> {
    const token = newToken();
    await this.store.control.createEmailToken({
      tokenHash: hashToken(token),
      userId: user.id,
      purpose: 'verify_email',
      expiresAt: new Date(this.clock().getTime() + VERIFY_TTL_MS).toISOString(),
    });
    await this.mailer.send({
      to: user.email,
      subject: 'Confirm your email address for Enclave',
      text: `Hello ${user.name},\n\nConfirm your email address to start using Enclave:\n${this.options.publicUrl}/console/verify-email?token=${token}\n\nThe link works once, for 24 hours.`,
    });
  }

  async verifyEmail(token: string): Promise<void> {
    const now = this.clock().toISOString();
    const userId = await this.store.control.consumeEmailToken(hashToken(token), 'verify_email', now);
    if (!userId) throw new AppError('bad_request', 'This link is not valid or has expired');
    await this.store.control.markEmailVerified(userId, now);
  }

  /** Same message and similar time for an unknown address and a wrong password. */
  async checkCredentials(body: SignInBody): Promise<UserRow> {
    const user = await this.store.control.getUserByEmail(body.email);
    if (!user) {
      await burnPasswordCheck(body.password);
      throw new AppError('invalid_credentials', 'The email or password is not right');
    }
    if (!(await verifyPassword(user.passwordHash, body.password))) {
      throw new AppError('invalid_credentials', 'The email or password is not right');
    }
    if (!user.emailVerifiedAt) {
      // Only someone who knows the password learns this, so it reveals nothing to an attacker;
      // and only they can ask for a new link, which verifies the account with that password.
      await this.sendMail(() => this.sendVerification(user));
      throw new AppError(
        'email_not_verified',
        'Confirm your email address first: we have sent you a new link',
      );
    }
    return user;
  }

  /** Sends a reset link if the address has an account; says nothing either way. */
  async requestPasswordReset(email: string): Promise<void> {
    const user = await this.store.control.getUserByEmail(email);
    if (!user) return;
    const token = newToken();
    await this.store.control.createEmailToken({
      tokenHash: hashToken(token),
      userId: user.id,
      purpose: 'reset_password',
      expiresAt: new Date(this.clock().getTime() + RESET_TTL_MS).toISOString(),
    });
    await this.sendMail(() =>
      this.mailer.send({
        to: user.email,
        subject: 'Reset your Enclave password',
        text: `Hello ${user.name},\n\nSomeone (hopefully you) asked to reset the password of your Enclave account:\n${this.options.publicUrl}/console/reset-password?token=${token}\n\nThe link works once, for one hour. If you did not ask for it, ignore this message: your password stays as it is.`,
      }),
    );
  }

  /**
   * Sets a new password from a reset link. The link proves control of the address, so it also
   * verifies it; every session ends and every other reset link dies with this one.
   */
  async resetPassword(token: string, newPassword: string): Promise<UserRow> {
    const passwordHash = await hashPassword(newPassword);
    const now = this.clock().toISOString();
    const userId = await this.store.control.consumeEmailToken(hashToken(token), 'reset_password', now);
    const user = userId ? await this.store.control.getUserById(userId) : null;
    if (!user) throw new AppError('bad_request', 'This link is not valid or has expired');
    await this.store.control.setPasswordHash(user.id, passwordHash);
    await this.store.control.markEmailVerified(user.id, now);
    await this.store.control.deleteEmailTokensOfUser(user.id, 'reset_password');
    return user;
  }

  async changePassword(user: UserRow, currentPassword: string, newPassword: string): Promise<void> {
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      // A field error, not 401: the caller is signed in, and a client must not take this for a sign-out.
      throw new AppError('validation_failed', 'The current password is not right', [
        { path: 'body.currentPassword', message: 'is not your current password' },
      ]);
    }
    await this.store.control.setPasswordHash(user.id, await hashPassword(newPassword));
  }
}
