import { DomainError } from '#platform';

export enum AdminErrorCode {
  AlreadyBootstrapped = 'ALREADY_BOOTSTRAPPED',
  BootstrapFailed = 'BOOTSTRAP_FAILED',
}

export class AdminError extends DomainError<AdminErrorCode> {}

export const ADMIN_ERRORS: Record<AdminErrorCode, { status: number; title: string }> = {
  [AdminErrorCode.AlreadyBootstrapped]: { status: 409, title: 'System already bootstrapped' },
  [AdminErrorCode.BootstrapFailed]: { status: 500, title: 'Bootstrap failed' },
};
