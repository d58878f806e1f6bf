/**
 * The condition on `org_integration_credentials` for a credential in use at `@now`: active,
 * validated, not past its expiry and not past a scheduled deactivation (a replaced credential).
 * One definition for every reader: the validator's required-integration check, run-all and the
 * quota's count of configured providers.
 */
export const USABLE_CREDENTIAL_SQL = `is_active = TRUE AND validation_status = 'VALID'
  AND (expires_at IS NULL OR expires_at > @now)
  AND (deactivation_scheduled_at IS NULL OR deactivation_scheduled_at > @now)`;
