// Framework-agnostic request enforcement shared by @ja4guard/fastify and
// @ja4guard/express, so both adapters decide, respond and log alike.

export { ThrottledLog } from '../log.js';
export { withConnectionHook } from './connection.js';
export { createEnforcement, type Enforcement, guardLogger } from './create.js';
export { decisionFields, decisionMessage, logDecision } from './decision-log.js';
export { type DecisionOutcome, DecisionStep } from './decision-step.js';
export { GuardCheckError, type InvalidOption } from './errors.js';
export {
  type AdapterLogger,
  DECISION_LOG_LEVELS,
  type DecisionHook,
  type DecisionLogLevel,
  type EnforcementOptions,
  type EnforcementSettings,
  type GuardCreationOptions,
  type GuardSelection,
  type PrometheusAdapterOptions,
  type TrustedHeaderOptions,
} from './options.js';
export { chain, pathOf, requestFingerprint } from './request.js';
