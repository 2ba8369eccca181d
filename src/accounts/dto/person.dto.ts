import { ApiProperty } from '@nestjs/swagger';
import type { Actor } from '../../common/actor.js';
import type { AccountType } from '../../common/account-type.js';

/** The columns a person object is built from (accounts.sql.ts: PERSON_RETURNING). */
export interface PersonRow {
  id: string;
  type: AccountType;
  username: string;
  email: string | null;
  first_name: string;
  last_name: string;
  is_staff: boolean;
  storage_quota_bytes: string | number | null;
  storage_used_bytes: string | number;
}

export class PersonResponse {
  @ApiProperty({ example: 'alice' }) username: string;
  @ApiProperty({ enum: [1], example: 1 }) type: 1;
  @ApiProperty({ example: 'Alice Liddell' }) full_name: string;
  @ApiProperty({ required: false }) first_name?: string;
  @ApiProperty({ required: false }) last_name?: string;
  @ApiProperty({ required: false, nullable: true, type: String, description: 'Only for the person themself and staff' }) email?: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Fieldbase hosts no avatars: always null' }) avatar_url: string | null;
  @ApiProperty({ required: false, description: 'Only for the person themself and staff' }) is_staff?: boolean;
  @ApiProperty({ required: false, description: 'Only for the person themself and staff' }) storage_quota_bytes?: number;
  @ApiProperty({ required: false, description: 'Only for the person themself and staff' }) storage_used_bytes?: number;
}

/** The person object of spec §4.1, in its field order; private fields only for the person and staff. */
export function toPersonResponse(row: PersonRow, viewer: Actor | null, defaultQuotaBytes: number): PersonResponse {
  const fullName = `${row.first_name} ${row.last_name}`.trim();
  const seesAll = viewer !== null && (viewer.isStaff || viewer.id === row.id);
  if (!seesAll) return { username: row.username, type: 1, full_name: fullName, avatar_url: null };
  return {
    username: row.username,
    type: 1,
    full_name: fullName,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    avatar_url: null,
    is_staff: row.is_staff,
    storage_quota_bytes: row.storage_quota_bytes === null ? defaultQuotaBytes : Number(row.storage_quota_bytes),
    storage_used_bytes: Number(row.storage_used_bytes),
  };
}
