export * from './encryptor.port.js';
export * from './crypto.errors.js';
export * from './envelope.js';
export * from './local-key-encryptor.js';
export * from './kms-encryptor.js';
export * from './create-encryptor.js';
export type { LocalKeyFileHooks } from './local-key-file.js';
