/*
 * The API's types, from the very schemas the server validates and serializes with
 * (`@codeyard/common/api/*`): a schema change that the UI does not follow breaks `npm run build`.
 * Type-only imports: nothing of the server's code is bundled into the page.
 */
export type { ApiErrorBody, AppState, PortSetting, Repl, ReplStatus, Runtime, Server, Stack, SyncStatus, Usage, Visibility } from '@codeyard/common/api/models';
export type { CreateRepl, PortVisibilityChange, ChangeRepl, LimitReachedDetails } from '@codeyard/common/api/requests';
export type { ApiToken, CreatedToken, CreateToken, DeviceApproved, DeviceRequest, Scope } from '@codeyard/common/api/tokens';
export type { AuthMode, AuthOptions, CreateInvite, Invite, InviteInfo, Me, SignupMode } from '@codeyard/common/api/auth';
export type { AdminRepl } from '@codeyard/common/api/models';
export type { SecretEntry, SecretList, SetSecret } from '@codeyard/common/api/secrets';
export type { ConnectedIdentitiesReply, ConnectedIdentity } from '@codeyard/common/api/oidc';
export type { AdminLimits, AdminUser, AdminUserChange, AdminUsers, AuditEvent, AuditPage, ServerSetting, ServerSettings } from '@codeyard/common/api/admin';
export type {
  AttendingClass,
  ClassDeleted,
  ClassDetail,
  ClassLimits,
  ClassList,
  ClassStarter,
  ClassSummary,
  CollectWhat,
  CreateClass,
  GradeCell,
  GradeResult,
  GradeRun,
  GradeStatus,
  JoinInfo,
  Joined,
  PushFileResult,
  Roster,
  StudentRow,
  Submission,
} from '@codeyard/common/api/classes';
