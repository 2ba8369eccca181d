/** The SQL fragments the accounts repository composes its statements from. */

/** The SELECT list for PersonRow from `accounts a` (storage_used_bytes: STORAGE_USED_SQL). */
export const PERSON_COLUMNS = `a.id, a.type, a.username, a.email, a.first_name, a.last_name, a.is_staff, a.storage_quota_bytes`;

/**
 * An account's stored bytes (spec §8): the sum of file_storage_bytes over the projects it owns, as a
 * SQL expression on `a` (accounts). The person and organization objects and every quota check use it.
 */
export const STORAGE_USED_SQL = `(SELECT coalesce(sum(sp.file_storage_bytes), 0) FROM projects sp WHERE sp.owner_id = a.id)`;

/** A person object's row, as every person statement returns it. */
export const PERSON_RETURNING = `${PERSON_COLUMNS}, ${STORAGE_USED_SQL} AS storage_used_bytes`;
