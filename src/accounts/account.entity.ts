import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AccountType } from '../common/account-type.js';
import { PROJECT_ROLES, type ProjectRole } from '../common/roles.js';

export { AccountType };

/** bigint columns arrive as strings from pg; these counts stay far below 2^53. */
const bigintAsNumber = { to: (value: number | null) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

/**
 * One table for persons, organizations and teams (spec §4), as the migrations built it. The indexes on
 * lower(username), lower(email), trigrams and partial conditions are the migrations' own, declared here
 * by name with `synchronize: false` (TypeORM cannot express them).
 */
@Entity('accounts')
@Check('accounts_type_check', `type IN (1, 2, 3)`)
@Check('accounts_storage_quota_bytes_check', `storage_quota_bytes >= 0`)
@Check('accounts_organization_owner', `(type = 2) = (organization_owner_id IS NOT NULL)`)
@Check('accounts_team_organization', `(type = 3) = (team_organization_id IS NOT NULL)`)
@Index('accounts_username_key', { synchronize: false })
@Index('accounts_email_key', { synchronize: false })
@Index('accounts_username_trgm', { synchronize: false })
@Index('accounts_staff', { synchronize: false })
@Index('accounts_organization_owner', { synchronize: false })
@Index('accounts_team_organization', { synchronize: false })
export class Account {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'smallint' })
  type: AccountType;

  @Column({ type: 'varchar', length: 320 })
  username: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'first_name', type: 'varchar', length: 150, default: '' })
  firstName: string;

  @Column({ name: 'last_name', type: 'varchar', length: 150, default: '' })
  lastName: string;

  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false })
  passwordHash: string | null;

  @Column({ name: 'is_staff', default: false })
  isStaff: boolean;

  @Column({ name: 'is_active', default: true })
  isActive: boolean;

  /** null: the server's DEFAULT_STORAGE_QUOTA_BYTES applies. */
  @Column({ name: 'storage_quota_bytes', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  storageQuotaBytes: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  /** Organizations only: the person who owns it. */
  @ManyToOne(() => Account, { nullable: true, onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'organization_owner_id', foreignKeyConstraintName: 'accounts_organization_owner_id_fkey' })
  organizationOwner?: Account | null;

  @Column({ name: 'organization_owner_id', type: 'uuid', nullable: true })
  organizationOwnerId: string | null;

  /** Organizations only: the project role members get on its projects; null: none. */
  @Column({ name: 'default_project_role_for_members', type: 'enum', enum: PROJECT_ROLES, enumName: 'project_role', nullable: true })
  defaultProjectRoleForMembers: ProjectRole | null;

  /** Teams only: the organization it belongs to. */
  @ManyToOne(() => Account, { nullable: true, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_organization_id', foreignKeyConstraintName: 'accounts_team_organization_id_fkey' })
  teamOrganization?: Account | null;

  @Column({ name: 'team_organization_id', type: 'uuid', nullable: true })
  teamOrganizationId: string | null;
}
