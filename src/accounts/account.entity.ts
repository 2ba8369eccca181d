import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** One name space for persons, organizations and teams (spec §4). */
export enum AccountType {
  Person = 1,
  Organization = 2,
  Team = 3,
}

/** bigint columns arrive as strings from pg; these counts stay far below 2^53. */
const bigintAsNumber = { to: (value: number | null) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

@Entity('accounts')
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
}
