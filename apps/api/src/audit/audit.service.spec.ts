import { Logger } from '@nestjs/common';
import type { AuditRepository, AuditRow } from './audit.repository.js';
import { AuditService } from './audit.service.js';

const actor = {
  apiKeyId: 'key-1',
  userId: 'u-1',
  requestId: 'req-77',
  ipAddress: '127.0.0.1',
  userAgent: null,
};

describe('AuditService.record', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one row with the actor and sanitized details', async () => {
    const written: AuditRow[] = [];
    // Only insert is used by record(); the rest of the repository is not needed.
    const repo = { insert: async (row: AuditRow) => void written.push(row) } as unknown as AuditRepository;
    await new AuditService(repo).record({
      orgSlug: 'acme',
      action: 'ROTATE',
      resourceType: 'API_KEY',
      resourceId: 'k-2',
      details: { fingerprint: 'ab12', new_api_key: 'acme_api_secret' },
      status: 'SUCCESS',
      actor,
    });
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      audit_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      org_slug: 'acme',
      user_id: 'u-1',
      api_key_id: 'key-1',
      action: 'ROTATE',
      resource_type: 'API_KEY',
      resource_id: 'k-2',
      details: { fingerprint: 'ab12' },
      request_id: 'req-77',
      status: 'SUCCESS',
      error_message: null,
      created_at: expect.any(Date),
    });
  });

  it('never fails the caller when the write fails, and logs it with the request id', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const repo = {
      insert: async () => {
        throw new Error('warehouse unavailable');
      },
    } as unknown as AuditRepository; // a repository whose write always fails
    await expect(
      new AuditService(repo).record({
        orgSlug: 'acme',
        action: 'CREATE',
        resourceType: 'API_KEY',
        status: 'SUCCESS',
        actor,
      }),
    ).resolves.toBeUndefined();
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]![0])).toContain('req-77');
    expect(String(logged.mock.calls[0]![0])).toContain('warehouse unavailable');
  });
});
