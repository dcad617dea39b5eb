import type {
  RetryErrorInfo,
  RetryStrategyV2,
  RetryToken,
} from '@smithy/types';

/**
 * Retries throttling, transient and server errors with exponential backoff and full jitter.
 * Unlike the SDK's standard strategy it has no shared retry quota, so a long provisioning run
 * against a service that throttles a share of all calls keeps retrying each call.
 */
export class BackoffRetryStrategy implements RetryStrategyV2 {
  constructor(
    private readonly options: {
      maxAttempts: number;
      baseDelayMs: number;
      maxDelayMs: number;
    },
  ) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return { getRetryCount: () => 0, getRetryDelay: () => 0 } as RetryToken;
  }

  async refreshRetryTokenForRetry(
    token: RetryToken,
    error: RetryErrorInfo,
  ): Promise<RetryToken> {
    const count = token.getRetryCount() + 1;
    const retryable = ['THROTTLING', 'TRANSIENT', 'SERVER_ERROR'].includes(
      error.errorType,
    );
    if (!retryable || count >= this.options.maxAttempts)
      throw new Error('No retry token available');
    const ceiling = Math.min(
      this.options.maxDelayMs,
      this.options.baseDelayMs * 2 ** count,
    );
    const delay = Math.max(
      error.retryAfterHint ? error.retryAfterHint.getTime() - Date.now() : 0,
      Math.random() * ceiling,
    );
    return {
      getRetryCount: () => count,
      getRetryDelay: () => delay,
    } as RetryToken;
  }

  recordSuccess(): void {}
}
