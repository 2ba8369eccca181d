import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { MEMBERSHIP_ROLES, type MembershipRole } from '../common/roles.js';

/** A person's membership of an organization (spec §4.2); the owner is not a member row. */
@Entity('organization_members')
@Index('organization_members_member', ['memberId', 'organizationId'])
export class OrganizationMember {
  @PrimaryColumn({ name: 'organization_id', type: 'uuid' })
  organizationId: string;

  @PrimaryColumn({ name: 'member_id', type: 'uuid' })
  memberId: string;

  @Column({ type: 'enum', enum: MEMBERSHIP_ROLES, enumName: 'membership_role', default: 'member' })
  role: MembershipRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'organization_members_organization_id_fkey' })
  organization?: Account;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'member_id', foreignKeyConstraintName: 'organization_members_member_id_fkey' })
  member?: Account;
}
