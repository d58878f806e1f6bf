import { startValidatorApp, type ValidatorApp } from '#test/validator-app';

/** The hold of a reservation when QUOTA_RESERVATION_TTL_SECONDS is set, on validate and heartbeat. */

describe('the reservation hold', () => {
  let v: ValidatorApp;
  beforeAll(async () => {
    v = await startValidatorApp({ QUOTA_RESERVATION_TTL_SECONDS: '5400' });
  });
  afterAll(() => v.close());

  it('is QUOTA_RESERVATION_TTL_SECONDS on validate and heartbeat, unless the run asks for another', async () => {
    const k = await v.anOrg({ concurrent_pipelines_limit: 5 });
    const inSeconds = (iso: string) => (Date.parse(iso) - Date.now()) / 1000;
    const held = (await v.validate(k.org, k.key, { pipeline_id: 'subscription_costs' })).json();
    expect(inSeconds(held.reservation_expires_at)).toBeGreaterThan(5300);
    expect(inSeconds(held.reservation_expires_at)).toBeLessThanOrEqual(5400);
    const beat = await v.t.app.inject({
      method: 'POST',
      url: `/api/v1/validator/heartbeat/${k.org}`,
      headers: { 'x-api-key': k.key },
      payload: { reservation_id: held.reservation_id },
    });
    expect(inSeconds(beat.json().expires_at)).toBeGreaterThan(5300);
    const asked = (
      await v.validate(k.org, k.key, { pipeline_id: 'subscription_costs', reservation_ttl_seconds: 120 })
    ).json();
    expect(inSeconds(asked.reservation_expires_at)).toBeLessThanOrEqual(120);
  });

  it('is documented as what a heartbeat does: at least ttl_seconds from now, never shorter', async () => {
    const doc = (await v.t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const { ttl_seconds } = doc.components.schemas.HeartbeatRequestDto.properties;
    expect(ttl_seconds).toMatchObject({ type: 'integer', minimum: 60, maximum: 86_400, nullable: true });
    expect(ttl_seconds.description).toContain('at least this many seconds from now');
    expect(ttl_seconds.description).toContain('never shortens');
    expect(doc.components.schemas.HeartbeatResponseDto.properties.expires_at.description).toContain(
      'the later of its expiry before this call and now + ttl_seconds',
    );
  });
});
