import type { OperationObject } from '@nestjs/swagger';
import type { RouteFacts } from './route-facts.js';

/** One code a status can carry, and when. */
export interface ErrorCase {
  code: string;
  when: string;
}

/** The error statuses an operation can answer, each with its codes. */
export type ErrorAnswers = Map<number, ErrorCase[]>;

const SHUTTING_DOWN: ErrorCase = {
  code: 'SERVICE_UNAVAILABLE',
  when: 'the instance is shutting down; retry at once (Retry-After: 1), another instance answers',
};

/** The methods whose requests Fastify reads a body of. */
const BODY_METHODS: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete']);

const BODIES_BUSY: ErrorCase = {
  code: 'SERVICE_UNAVAILABLE',
  when: 'too many JSON bodies are being received at once, by the instance or from this caller; retry (Retry-After: 1)',
};

const unauthenticated: Record<Exclude<RouteFacts['auth'], 'public'>, ErrorCase[]> = {
  root: [{ code: 'ROOT_KEY_REQUIRED', when: 'no X-CA-Root-Key was sent' }],
  org: [{ code: 'API_KEY_REQUIRED', when: 'no X-API-Key was sent (nor a wrong X-CA-Root-Key: 403)' }],
  'org-or-root': [{ code: 'AUTH_REQUIRED', when: 'neither X-API-Key nor X-CA-Root-Key was sent' }],
};

const ORG_KEY_REFUSED: ErrorCase[] = [
  {
    code: 'API_KEY_INVALID',
    when: 'the key is unknown or revoked, or its organization is not active',
  },
  { code: 'API_KEY_EXPIRED', when: 'the key is past the grace period of its rotation' },
];

const ENGINES_DOWN: ErrorCase[] = [
  {
    code: 'WAREHOUSE_UNAVAILABLE',
    when: 'the warehouse, where the route reads or writes, is down (Retry-After: 5)',
  },
  {
    code: 'TENANCY_DB_UNAVAILABLE',
    when: 'the tenancy database, where the route reads or writes, is down (Retry-After: 5)',
  },
];

/** The refusals of the route's credentials (401, 403, and the 503s of checking them). */
function authAnswers(facts: RouteFacts, path: string, answers: ErrorAnswers): void {
  if (facts.auth === 'public') return;
  const orgKey = facts.auth !== 'root';
  answers.set(401, [...unauthenticated[facts.auth], ...(orgKey ? ORG_KEY_REFUSED : [])]);
  const forbidden: ErrorCase[] = [
    { code: 'ROOT_KEY_INVALID', when: 'an X-CA-Root-Key was sent and is wrong (on every route)' },
  ];
  if (orgKey && path.includes('{org}'))
    forbidden.push({ code: 'ORG_FORBIDDEN', when: 'the org key belongs to another organization than {org}' });
  if (orgKey && facts.scopes.length)
    forbidden.push({
      code: 'INSUFFICIENT_SCOPE',
      when: `the org key lacks ${facts.scopes.join(', ')} (missing_scopes lists them)`,
    });
  answers.set(403, forbidden);
  answers.set(503, [
    // An org-or-root route checks a root key when one is sent, an org key otherwise.
    ...(facts.auth !== 'org'
      ? [{ code: 'ROOT_KEY_NOT_CONFIGURED', when: 'a root key was sent and CA_ROOT_API_KEY is not set' }]
      : []),
    ...(orgKey
      ? [{ code: 'AUTH_SERVICE_UNAVAILABLE', when: 'the API key could not be checked (Retry-After: 5)' }]
      : []),
    ...ENGINES_DOWN,
  ]);
  answers.set(504, [
    {
      code: 'WAREHOUSE_TIMEOUT',
      when: 'the warehouse, where the route reads or writes, did not answer in time',
    },
    {
      code: 'TENANCY_DB_TIMEOUT',
      when: 'the tenancy database, where the route reads or writes, did not answer in time',
    },
  ]);
  answers.set(500, [
    {
      code: 'INTERNAL_ERROR',
      when: 'a failure of the server (the code names it); the detail is its title only',
    },
  ]);
}

/**
 * Every error status the operation can answer, from what the app knows of its route: its auth
 * (401, 403 and 503 of the credentials; 500, and the 503 and 504 of the engines, for a route that
 * reaches them, which every authenticated one does), its inputs (422; 400, 413 and 415 of a body), its rate limits (429), and
 * the refusal of every request while the instance shuts down (503, except where a probe says so
 * itself).
 */
export function derivedErrors(
  route: RouteFacts,
  path: string,
  op: OperationObject,
  method: string,
): ErrorAnswers {
  const answers: ErrorAnswers = new Map();
  authAnswers(route, path, answers);
  const orgKeyOnOrg = route.auth !== 'public' && route.auth !== 'root' && path.includes('{org}');
  if (route.validatesInput || orgKeyOnOrg)
    answers.set(422, [
      {
        code: 'VALIDATION_FAILED',
        when: route.validatesInput
          ? 'a query, path or body field is refused; errors lists each with its message'
          : 'the {org} of the path is not an organization slug; errors names it',
      },
    ]);
  const declared = op.requestBody && 'content' in op.requestBody ? Object.keys(op.requestBody.content) : [];
  // A route that needs no body still reads one sent to it, as JSON (and refuses it so).
  const body = declared.length || !BODY_METHODS.has(method) ? declared : ['application/json'];
  if (body.some((type) => type.includes('json'))) {
    answers.set(400, [{ code: 'MALFORMED_JSON', when: 'the body is not JSON (or not UTF-8)' }]);
    answers.set(503, [...(answers.get(503) ?? []), BODIES_BUSY]);
  }
  if (body.length) {
    answers.set(413, [{ code: 'PAYLOAD_TOO_LARGE', when: 'the body is larger than the size limit' }]);
    answers.set(415, [
      {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        when: `the body is not ${body.join(', ')}, or in a content coding the route does not read`,
      },
    ]);
  }
  const limited: ErrorCase[] = route.rateLimited
    ? [
        {
          code: 'RATE_LIMITED',
          when: route.limits.length
            ? `the ${route.limits.map((l) => `\`${l}\``).join(' or ')} limit (per key, or per address without a known key) is spent this minute`
            : 'a rate limit is spent this minute',
        },
      ]
    : [];
  if (route.auth !== 'public')
    limited.push({
      code: 'RATE_LIMITED',
      when: 'too many failed authentications from this address this minute',
    });
  if (limited.length) answers.set(429, limited);
  if (!route.answersWhileClosing) answers.set(503, [...(answers.get(503) ?? []), SHUTTING_DOWN]);
  return answers;
}

/** Whether a description names the code (as a word: FORBIDDEN is not in ORG_FORBIDDEN). */
const names = (text: string, code: string) => new RegExp(`\\b${code}\\b`).test(text);

/** A Markdown list, one item per code with every case of it, leaving out the codes `known` names. */
export function describeCases(cases: readonly ErrorCase[], known = ''): string {
  const byCode = new Map<string, string[]>();
  for (const c of cases)
    if (!names(known, c.code)) byCode.set(c.code, [...(byCode.get(c.code) ?? []), c.when]);
  return [...byCode].map(([code, whens]) => `- \`${code}\`: ${whens.join('; or ')}`).join('\n');
}
