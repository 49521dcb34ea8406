import os from 'node:os';
import { openDatabase } from '../../src/db/open-database.js';
import { dropSchema, quietLog, runSchema } from './db-test-helpers.js';
import { describeAccountRepositories } from './describe-account-repositories.js';
import { describeAuditRepository } from './describe-audit-repository.js';
import { describeClassRepository } from './describe-class-repository.js';
import { describeGradeQueue } from './describe-grade-queue.js';
import { type DatabaseTarget, describeRepositories } from './describe-repositories.js';
import { describeReplLimits } from './describe-repl-limits.js';
import { describeSecretRepository } from './describe-secret-repository.js';
import { describeSubmissionRepositories } from './describe-submission-repositories.js';
import { describeTokenRepositories } from './describe-token-repositories.js';

const url = process.env.CODEYARD_TEST_DATABASE_URL;

// Each run in a schema of its own, so runs sharing one server do not see each other's rows or events.
const postgres = (label: string) => async (): Promise<DatabaseTarget> => {
  const schema = runSchema(label);
  return {
    open: () => openDatabase({ url, dataDir: os.tmpdir(), schema, log: quietLog }),
    eventsBetweenConnections: true,
    drop: () => dropSchema(url, schema),
  };
};
const skip = url ? undefined : 'CODEYARD_TEST_DATABASE_URL is not set: the PostgreSQL run needs a server (.ci/postgres.sh starts one and prints the URL)';
describeRepositories('PostgreSQL', postgres('repositories'), { skip });
describeAccountRepositories('PostgreSQL', postgres('accounts'), { skip });
describeAuditRepository('PostgreSQL', postgres('audit'), { skip });
describeClassRepository('PostgreSQL', postgres('classes'), { skip });
describeSubmissionRepositories('PostgreSQL', postgres('submissions'), { skip });
describeReplLimits('PostgreSQL', postgres('repl_limits'), { skip });
describeGradeQueue('PostgreSQL', postgres('grade_queue'), { skip });
describeSecretRepository('PostgreSQL', postgres('repl_secrets'), { skip });
describeTokenRepositories('PostgreSQL', postgres('tokens'), { skip });
