// An in-memory broker (Connect router transport) for the Producer's unit tests:
// it records every ProduceRequest and answers with consecutive offsets per partition.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport, type Transport } from "@connectrpc/connect";
import { AdminService, ProduceService, type ProduceRequest, type ProduceResponseSchema } from "@sluice/client/proto";

type Response = MessageInitShape<typeof ProduceResponseSchema>;

export interface FakeBroker {
  transport: Transport;
  /** Every request the broker read, in order. */
  requests: ProduceRequest[];
  /** Produce streams opened so far. */
  streams: number;
  /** While true, requests are read but not answered. */
  hold: boolean;
  release(): void;
}

export interface FakeOptions {
  topic?: string;
  partitions?: number;
  /** Answers a request differently (an error, say); undefined means store it. */
  answer?: (req: ProduceRequest) => Response | undefined;
  /** Throws from the Produce stream after reading this request (a broken connection). */
  breakOn?: (req: ProduceRequest, stream: number) => boolean;
}

export function fakeBroker(options: FakeOptions = {}): FakeBroker {
  const topic = options.topic ?? "t";
  const partitions = options.partitions ?? 3;
  const next = new Map<number, bigint>();
  const wakers = new Set<() => void>();
  const fake: FakeBroker = {
    transport: undefined as unknown as Transport,
    requests: [],
    streams: 0,
    hold: false,
    release() {
      fake.hold = false;
      for (const w of wakers) w();
    },
  };
  const store = (req: ProduceRequest): Response => {
    const custom = options.answer?.(req);
    if (custom) {
      return custom;
    }
    const partition = req.partition ?? 0;
    const base = next.get(partition) ?? 0n;
    next.set(partition, base + BigInt(req.records.length));
    return { sequence: req.sequence, results: [{ partition, baseOffset: base, recordCount: req.records.length }] };
  };
  fake.transport = createRouterTransport(({ service }) => {
    service(AdminService, {
      describeTopic(req) {
        if (req.name !== topic) {
          throw new ConnectError(`topic "${req.name}" not found`, Code.NotFound);
        }
        return { topic: { name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partition: i })) } };
      },
    });
    service(ProduceService, {
      async *produce(reqs) {
        const stream = ++fake.streams;
        const unanswered: ProduceRequest[] = [];
        let ended = false;
        let broken: unknown;
        let wake = (): void => {};
        const waker = (): void => wake();
        wakers.add(waker);
        void (async () => {
          try {
            for await (const req of reqs) {
              fake.requests.push(req);
              unanswered.push(req);
              if (options.breakOn?.(req, stream)) {
                broken = new ConnectError("connection reset", Code.Unavailable);
                break;
              }
              wake();
            }
          } finally {
            ended = true;
            wake();
          }
        })();
        try {
          for (;;) {
            if (broken) {
              throw broken;
            }
            while (!fake.hold && !broken && unanswered.length > 0) {
              yield store(unanswered.shift()!);
            }
            if (ended && unanswered.length === 0) {
              return;
            }
            await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          wakers.delete(waker);
        }
      },
    });
  });
  return fake;
}

/** Polls cond until it holds, for at most timeoutMs. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
