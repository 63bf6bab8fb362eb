import type { Env as TokenWorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    /** Bindings of the test runner: the token Worker's own plus test-only ones. */
    interface Env extends TokenWorkerEnv {
      /** JSON of the keys generated for this run (see test/fixtures/test-keys.ts). */
      TEST_KEYS: string;
      /** The example caller Worker, bound with props { caller: "example-caller" }. */
      EXAMPLE_CALLER: Fetcher;
    }

    /** The main module, so that `exports.default` from `cloudflare:workers` is typed. */
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
  }
}
