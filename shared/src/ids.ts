import { z } from 'zod';

/** Server-generated identifiers are UUIDs. */
export const Uuid = z.uuid();

/**
 * Record ids may come from clients (offline creation, sync), so they are opaque but tightly
 * bounded: URL-safe characters only, so they can sit in paths and file names without escaping.
 */
export const RecordId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');

/** Keys of entity types, fields and custom roles: lower-case identifiers. */
export const Key = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z][a-z0-9_]*$/, 'must start with a-z and use only a-z, 0-9 and _');

export const IsoDateTime = z.iso.datetime();
