/** Route metadata keys set by the auth decorators and read by the guards and the route audit. */
export const IS_PUBLIC = 'auth:public';
export const REQUIRED_SCOPES = 'auth:scopes';
export const AUTH_KIND = 'auth:kind';
export type AuthKind = 'root' | 'org' | 'org-or-root' | 'public';
