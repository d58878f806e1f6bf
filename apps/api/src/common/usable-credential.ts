/**
 * The condition on `org_integration_credentials` for a credential in use at `@now`: active,
 * validated, not past its expiry and not past a scheduled deactivation (a replaced credential).
 * One definition for every reader: the validator's required-integration check, run-all and the
 * quota's count of configured providers.
 */
export const USABLE_CREDENTIAL_SQL = `is_active = TRUE AND validation_status = 'VALID'
  AND (expires_at IS NULL OR expires_at > @now)
  AND (deactivation_scheduled_at IS NULL OR deactivation_scheduled_at > @now)`;

/**
 * Provider names under which integrations store a credential for another provider's pipelines:
 * AWS_KEYS is the other AWS credential kind (access keys) for the AWS billing pipeline AWS_IAM names,
 * and CLAUDE the older name of ANTHROPIC (the registry of the system this API replaces).
 */
const PROVIDER_ALIASES: Readonly<Record<string, string>> = { AWS_KEYS: 'AWS_IAM', CLAUDE: 'ANTHROPIC' };

/** The provider a stored credential serves, in upper case (AWS_KEYS → AWS_IAM, CLAUDE → ANTHROPIC). */
export function canonicalProvider(stored: string): string {
  const upper = stored.toUpperCase();
  return PROVIDER_ALIASES[upper] ?? upper;
}

/** Every stored provider name whose credential serves `provider` (ANTHROPIC → ANTHROPIC, CLAUDE). */
export function storedProvidersFor(provider: string): string[] {
  const canonical = canonicalProvider(provider);
  return [
    canonical,
    ...Object.keys(PROVIDER_ALIASES).filter((alias) => PROVIDER_ALIASES[alias] === canonical),
  ];
}
