/**
 * Route-level schema pieces the server adds to the shared API schemas (common/src/api): the
 * error answers every authenticated route can give. The models and request shapes themselves
 * live in `@codeyard/common/api/*`, where the web UI takes its types from.
 */
import { ErrorSchema, ref } from '@codeyard/common/api/models';

/** The error body, by reference to the registered `Error` model. */
export const errorReply = ref(ErrorSchema);

/** The error answers every authenticated route can give. */
export const commonErrors = { 400: errorReply, 401: errorReply, 404: errorReply } as const;
