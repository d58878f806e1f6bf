import { Header } from '@nestjs/common';

/**
 * `Cache-Control: no-store` on a route whose answer shows a secret (a new API key): no browser or
 * proxy cache may keep it past the one time it is shown (RFC 9111 §5.2.2.5). Without any
 * Cache-Control, a GET's 200 may be kept and served again under heuristic freshness (§4.2.2).
 */
export const NoStore = () => Header('Cache-Control', 'no-store');
