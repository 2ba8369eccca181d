import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A running lock on logins for one (account, client IP) after too many failures (login-throttle.ts). */
@Entity('login_lockouts')
export class LoginLockout {
  @PrimaryColumn({ name: 'account_key', type: 'varchar', length: 320 })
  accountKey: string;

  @PrimaryColumn({ name: 'client_ip', type: 'varchar', length: 64 })
  clientIp: string;

  @Column({ name: 'locked_until', type: 'timestamptz' })
  lockedUntil: Date;
}
