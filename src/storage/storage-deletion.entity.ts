import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Stored bytes whose rows are gone, queued for removal until the storage confirms it (storage-cleaner.ts). */
@Entity('storage_deletions')
export class StorageDeletion {
  @PrimaryColumn({ name: 'storage_key', type: 'text' })
  storageKey: string;

  @CreateDateColumn({ name: 'queued_at', type: 'timestamptz' })
  queuedAt: Date;

  @Column({ type: 'int', default: 0 })
  attempts: number;
}
