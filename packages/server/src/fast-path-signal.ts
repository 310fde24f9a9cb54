import { Code, ConnectError } from '@connectrpc/connect';
import type { NodeRequest, NodeResponse } from './http-types.js';

/**
 * The call's AbortSignal, built only when someone reads it. connect-es builds three
 * AbortControllers per call (deadline, request, linked) and aborts them all when the call ends;
 * each abort without a reason builds a DOMException with a stack trace, which is most of
 * the stock handler's per-call cost. Here a call whose signal nobody reads costs nothing,
 * and a call whose signal is read gets the same behaviour: aborted with DeadlineExceeded at the
 * `connect-timeout-ms` deadline, when the client goes away, at the server's hard stop, with the
 * error when the call fails, and without a reason when it completes.
 */
export class LazyCallSignal {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private endReason: unknown;
  // Listeners exist only once the signal does.
  private onClose: (() => void) | undefined;
  private onShutdown: (() => void) | undefined;

  constructor(
    /** Absolute deadline (Date.now() based), or undefined without `connect-timeout-ms`. */
    private readonly deadline: number | undefined,
    private readonly req: NodeRequest,
    private readonly res: NodeResponse,
    private readonly shutdown: AbortSignal | undefined,
  ) {}

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    if (this.ended) {
      controller.abort(this.endReason);
      return controller.signal;
    }
    if (this.shutdown?.aborted) {
      controller.abort(this.shutdown.reason);
      return controller.signal;
    }
    if (this.deadline !== undefined) {
      const remaining = this.deadline - Date.now();
      if (remaining <= 0) {
        controller.abort(timedOut());
        return controller.signal;
      }
      this.timer = setTimeout(() => this.abort(timedOut()), remaining);
    }
    if (this.res.writableFinished || this.res.destroyed) {
      controller.abort(this.closedReason());
      return controller.signal;
    }
    this.onClose = () => this.abort(this.closedReason());
    this.onShutdown = () => this.abort(this.shutdown?.reason);
    this.res.once('close', this.onClose);
    this.shutdown?.addEventListener('abort', this.onShutdown);
    return controller.signal;
  }

  /** Ends the call: the first reason wins, as with connect-es's linked controller. */
  abort(reason?: unknown): void {
    if (!this.ended) {
      this.ended = true;
      this.endReason = reason;
    }
    const controller = this.controller;
    if (!controller) return;
    clearTimeout(this.timer);
    if (this.onClose) this.res.off('close', this.onClose);
    if (this.onShutdown) this.shutdown?.removeEventListener('abort', this.onShutdown);
    if (!controller.signal.aborted) controller.abort(reason);
  }

  private closedReason(): unknown {
    const errored = (this.req as { errored?: Error | null }).errored;
    return errored ? ConnectError.from(errored, Code.Aborted) : undefined;
  }
}

function timedOut(): ConnectError {
  return new ConnectError('the operation timed out', Code.DeadlineExceeded);
}
