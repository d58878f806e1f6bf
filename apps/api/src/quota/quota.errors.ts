import { DomainError } from '#platform';

export enum QuotaErrorCode {
  ReservationNotFound = 'RESERVATION_NOT_FOUND',
  ReservationNotLive = 'RESERVATION_NOT_LIVE',
}

export class QuotaError extends DomainError<QuotaErrorCode> {}

export const QUOTA_ERRORS: Record<QuotaErrorCode, { status: number; title: string }> = {
  // Same code, status and title as the API keys and organizations modules: one meaning across the API.
  [QuotaErrorCode.ReservationNotFound]: { status: 404, title: 'Pipeline run reservation not found' },
  [QuotaErrorCode.ReservationNotLive]: {
    status: 409,
    title: 'The pipeline run reservation is completed or expired',
  },
};
