import {
  chain,
  type Decision,
  type DecisionStep,
  type Guard,
  type GuardContext,
  type HeaderSource,
  pathOf,
  requestFingerprint,
  toGuardFingerprint,
} from '@ja4guard/guard';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { mergeDecisions, type RouteGuards } from './route-guards.js';

type Step = DecisionStep<FastifyRequest>;

/**
 * Creates the plugin's `onRequest` hook. It sets `request.ja4` and
 * `request.tlsFingerprint`, then runs the decision step when there is a
 * guard. A block or an exceeded limit ends the request with a 403 or 429
 * reply. Any other decision lets it go on, with RateLimit header fields when
 * a rate limit counted it. The hook takes a callback, so a decision that
 * needs no store call adds no promise.
 */
export function createRequestHook(
  headerSource: HeaderSource | null,
  step: Step | null,
  routes: RouteGuards,
) {
  return function ja4guardOnRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    // `request.raw.socket` is the TLSSocket under HTTP/1.1 and a proxy to the
    // session's TLSSocket under HTTP/2; both carry the capture result.
    const fingerprint = requestFingerprint(request.raw.socket, request.headers, headerSource);
    request.tlsFingerprint = fingerprint;
    request.ja4 = fingerprint?.ja4 ?? null;
    if (step === null) {
      done();
      return;
    }

    let routeGuard: Guard | undefined;
    // NOTE: until a route with config.ja4guard passes through onRoute, the
    // lookup is skipped, so the settings of routes added before the plugin
    // are ignored without a warning.
    if (routes.configured) {
      const setting = request.routeOptions.config?.ja4guard;
      if (setting === false) {
        done();
        return;
      }
      if (setting !== undefined) {
        routeGuard = routes.lookup(setting);
      }
    }

    const context = contextOf(request);
    const decision =
      routeGuard === undefined
        ? step.evaluate(context)
        : evaluateWithRoute(step, routeGuard, context);
    if (decision instanceof Promise) {
      decision.then((settled) => {
        try {
          apply(step, settled, context, request, reply, done);
        } catch (error) {
          done(error as Error);
        }
      });
      return;
    }
    apply(step, decision, context, request, reply, done);
  };
}

/**
 * Builds the guard context. `request.ip` follows Fastify's `trustProxy`
 * setting. Without it, it is the TCP peer, which is the client from a PROXY
 * protocol header when the capture reads one.
 */
function contextOf(request: FastifyRequest): GuardContext {
  return {
    fingerprint: toGuardFingerprint(request.tlsFingerprint),
    ip: request.ip ?? '',
    method: request.method,
    path: pathOf(request.url),
    host: request.host ?? null,
    headers: request.headers,
  };
}

/**
 * Runs the route guard, then the app guard unless the route guard blocked or
 * limited. Returns null when a check failed and `failClosed` is set. Without
 * `failClosed`, a failed route check falls back to the app guard.
 */
function evaluateWithRoute(
  step: Step,
  routeGuard: Guard,
  context: GuardContext,
): Decision | null | Promise<Decision | null> {
  return chain(step.evaluate(context, routeGuard), (route) => {
    if (route === null) {
      return step.failClosed ? null : step.evaluate(context);
    }
    if (route.action === 'block' || route.action === 'limit') {
      return route;
    }
    return chain(step.evaluate(context), (app) =>
      app === null ? null : mergeDecisions(route, app),
    );
  });
}

function apply(
  step: Step,
  decision: Decision | null,
  context: GuardContext,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  if (decision === null) {
    const failure = step.failure();
    if (failure === null) {
      done();
    } else {
      done(failure);
    }
    return;
  }
  const outcome = step.finish(decision, request, context, request.log);
  reply.headers(outcome.headers);
  if (outcome.response !== null) {
    // Replying from an onRequest hook without calling done() ends the request here.
    reply.code(outcome.response.statusCode).send(outcome.response.body);
    return;
  }
  done();
}
