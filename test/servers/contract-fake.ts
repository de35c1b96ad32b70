/**
 * What every contract fake over an HTTPS contract server exposes the same way: where it
 * listens, the certificate to trust, the requests it saw, `assertDone()` failing on any
 * violation, and `close()`. Fakes with expectations of their own report the unmet ones through `unmet()`.
 */
import type { HttpsContractServer, RecordedRequest } from './https-contract-server';

export abstract class ContractFake {
  protected constructor(
    protected readonly server: HttpsContractServer,
    /** Names the fake in `assertDone()` failures. */
    private readonly label: string,
  ) {}

  /** `https://127.0.0.1:PORT` */
  get url(): string {
    return this.server.url;
  }

  /** The certificate clients must trust (PEM). */
  get ca(): string {
    return this.server.ca;
  }

  get requests(): RecordedRequest[] {
    return this.server.requests;
  }

  /** Throws when a violation was recorded or an expectation was left unmet. */
  assertDone(): void {
    const problems = [...this.server.violations, ...this.unmet()];
    if (problems.length > 0) throw new Error(`${this.label}:\n- ${problems.join('\n- ')}`);
  }

  /** Expectations declared but never used, for fakes that take them. */
  protected unmet(): string[] {
    return [];
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
