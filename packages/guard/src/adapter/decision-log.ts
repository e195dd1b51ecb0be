import type { Decision, GuardContext } from '../types.js';
import type { AdapterLogger, DecisionLogLevel } from './options.js';

/** User-Agent values longer than this are cut in log lines, because a client chooses their length. */
const MAX_USER_AGENT_LENGTH = 256;

/**
 * Returns the level at which a decision is logged, or null for none:
 * `block`, `limit` and `log` at the configured level, `allow` and `pass` only
 * when that level is `debug` or `trace`.
 */
export function decisionLevel(
  decision: Decision,
  level: DecisionLogLevel | false,
): DecisionLogLevel | null {
  if (level === false) {
    return null;
  }
  if (decision.action === 'allow' || decision.action === 'pass') {
    return level === 'debug' || level === 'trace' ? level : null;
  }
  return level;
}

/**
 * Returns the fields of a decision log line. It carries the JA4, the client
 * IP and the User-Agent, and no other header value and no ClientHello bytes.
 */
export function decisionFields(decision: Decision, context: GuardContext): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    action: decision.action,
    rule: decision.rule,
    reason: decision.reason,
    enforced: decision.enforced,
    key: decision.key,
    ja4: context.fingerprint?.ja4 ?? null,
    ip: context.ip,
    method: context.method,
    path: context.path,
    userAgent: userAgentOf(context),
  };
  if (decision.logs.length > 0) {
    fields.logRules = decision.logs;
  }
  if (decision.retryAfterMs !== null) {
    fields.retryAfterMs = decision.retryAfterMs;
  }
  if (decision.ban !== null) {
    fields.ban = decision.ban;
  }
  return fields;
}

/** Returns the message of a decision log line. */
export function decisionMessage(decision: Decision): string {
  const prefix = decision.enforced ? 'ja4guard: ' : 'ja4guard dry run: would have ';
  switch (decision.action) {
    case 'block':
      return `${prefix}blocked the request ${blockCause(decision)}`;
    case 'limit':
      return `${prefix}rate-limited the request: rate limit "${decision.rule}" exceeded`;
    case 'log':
      return `ja4guard: log rules matched: ${decision.logs.join(', ')}`;
    case 'allow':
      return `ja4guard: allowed the request by rule "${decision.rule}"`;
    default:
      return 'ja4guard: no rule stopped the request';
  }
}

/** Writes the log line of a decision, if its level calls for one. */
export function logDecision(
  logger: AdapterLogger | null,
  level: DecisionLogLevel | false,
  decision: Decision,
  context: GuardContext,
): void {
  const lineLevel = decisionLevel(decision, level);
  if (lineLevel === null || logger === null) {
    return;
  }
  const write = logger[lineLevel];
  if (write !== undefined) {
    write.call(logger, decisionFields(decision, context), decisionMessage(decision));
  }
}

function blockCause(decision: Decision): string {
  switch (decision.reason) {
    case 'blocklist':
      return `because the client is on the blocklist (${decision.key})`;
    case 'store-unavailable':
      return `because the rate-limit store of rule "${decision.rule}" is unavailable and failClosed is set`;
    default:
      return `by rule "${decision.rule}"`;
  }
}

function userAgentOf(context: GuardContext): string | null {
  const value = context.headers['user-agent'];
  const text = Array.isArray(value) ? value.join(', ') : value;
  if (text === undefined) {
    return null;
  }
  return text.length > MAX_USER_AGENT_LENGTH ? `${text.slice(0, MAX_USER_AGENT_LENGTH)}…` : text;
}
