import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A login token. Only the SHA-256 of the key is stored: the key itself is shown once, at login. */
@Entity('auth_tokens')
@Unique('auth_tokens_key_hash_key', ['keyHash'])
@Index('auth_tokens_account', ['accountId', 'clientType', 'expiresAt'])
export class AuthToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  /** The foreign key to accounts, named by entity: auth sits below accounts and does not import it. */
  @ManyToOne('Account', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'auth_tokens_account_id_fkey' })
  account?: unknown;

  @Column({ name: 'key_hash', type: 'char', length: 64 })
  keyHash: string;

  @Column({ name: 'client_type', type: 'varchar', length: 16 })
  clientType: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, default: '' })
  userAgent: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
