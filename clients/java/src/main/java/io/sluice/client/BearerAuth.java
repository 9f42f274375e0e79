package io.sluice.client;

import com.google.protobuf.Timestamp;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sluice.v1.AuthServiceGrpc;
import io.sluice.v1.FinishScramRequest;
import io.sluice.v1.FinishScramResponse;
import io.sluice.v1.StartScramRequest;
import io.sluice.v1.StartScramResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The bearer token of a client with {@link ScramCredentials}: the SCRAM exchange over AuthService
 * (on the channel without this interceptor), and an interceptor that sends {@code authorization:
 * Bearer <token>} on every other call. The client authenticates again when the token nears its
 * expire time (a fifth of its lifetime, at most a minute, before), and once when a unary call is
 * refused with UNAUTHENTICATED (the call is then sent again); a stream refused so is not replayed: it
 * fails, and the next call authenticates first.
 */
final class BearerAuth implements ClientInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String AUTH_SERVICE = AuthServiceGrpc.SERVICE_NAME;

    private final AuthServiceGrpc.AuthServiceBlockingStub auth;
    private final ScramCredentials creds;
    private final Duration timeout;
    private final Map<String, byte[]> salted = new HashMap<>();
    private String token; // guarded by this
    private long refreshAtNanos; // guarded by this; Long.MAX_VALUE: no expiry given

    BearerAuth(Channel raw, ScramCredentials creds, Duration timeout) {
        this.auth = AuthServiceGrpc.newBlockingStub(raw);
        this.creds = creds;
        this.timeout = timeout;
    }

    /** The current token, after an exchange if there is none or it nears its expiry. */
    synchronized String token() {
        if (token == null || System.nanoTime() - refreshAtNanos >= 0) {
            authenticate();
        }
        return token;
    }

    /** Forgets {@code refused} unless a newer token replaced it. */
    synchronized void invalidate(String refused) {
        if (refused != null && refused.equals(token)) {
            token = null;
        }
    }

    private void authenticate() {
        ScramCredentials.Mechanism mech = creds.mechanism();
        try {
            ScramClient c = new ScramClient(creds.username(), creds.password(), mech, null, salted);
            StartScramResponse s1 = stub().startScram(StartScramRequest.newBuilder()
                .setMechanism(mech.wire).setClientFirstMessage(c.clientFirst()).build());
            FinishScramResponse s2 = stub().finishScram(FinishScramRequest.newBuilder()
                .setSession(s1.getSession()).setClientFinalMessage(c.clientFinal(s1.getServerFirstMessage())).build());
            c.verifyServerFinal(s2.getServerFinalMessage());
            if (s2.getToken().isEmpty()) {
                throw new ScramClient.ScramException("FinishScram: the broker sent no token");
            }
            token = s2.getToken();
            refreshAtNanos = refreshAt(s2.hasExpireTime() ? s2.getExpireTime() : null);
        } catch (ScramClient.ScramException e) {
            throw Status.UNAUTHENTICATED.withDescription("SCRAM: " + e.getMessage()).asRuntimeException();
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            throw s.withDescription("SCRAM authentication: " + s.getDescription()).withCause(e).asRuntimeException();
        }
    }

    private AuthServiceGrpc.AuthServiceBlockingStub stub() {
        return auth.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static long refreshAt(Timestamp expire) {
        if (expire == null || (expire.getSeconds() == 0 && expire.getNanos() == 0)) {
            return System.nanoTime() + Long.MAX_VALUE / 2;
        }
        long leftMs = expire.getSeconds() * 1000 + expire.getNanos() / 1_000_000 - System.currentTimeMillis();
        long marginMs = Math.min(60_000, Math.max(leftMs, 0) / 5);
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leftMs - marginMs);
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (AUTH_SERVICE.equals(method.getServiceName())) {
            return next.newCall(method, options);
        }
        if (method.getType() == MethodDescriptor.MethodType.UNARY) {
            return new RetryingUnaryCall<>(method, options, next);
        }
        AtomicReference<String> used = new AtomicReference<>();
        ClientCall<Q, R> call = next.newCall(method, options.withCallCredentials(new Bearer(used)));
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        if (status.getCode() == Status.Code.UNAUTHENTICATED) {
                            invalidate(used.get());
                        }
                        super.onClose(status, trailers);
                    }
                }, headers);
            }
        };
    }

    /** Puts the current token on one call and remembers which it was. */
    private final class Bearer extends CallCredentials {
        private final AtomicReference<String> used;

        Bearer(AtomicReference<String> used) {
            this.used = used;
        }

        @Override
        public void applyRequestMetadata(RequestInfo info, Executor appExecutor, MetadataApplier applier) {
            appExecutor.execute(() -> {
                try {
                    String t = token();
                    used.set(t);
                    Metadata md = new Metadata();
                    md.put(AUTHORIZATION, "Bearer " + t);
                    applier.apply(md);
                } catch (StatusRuntimeException e) {
                    applier.fail(e.getStatus());
                }
            });
        }
    }

    /**
     * A unary call that, refused with UNAUTHENTICATED for a token the broker no longer accepts, is
     * sent once more with a new token: the request, request(n) and halfClose are replayed.
     */
    private final class RetryingUnaryCall<Q, R> extends ClientCall<Q, R> {
        private final MethodDescriptor<Q, R> method;
        private final CallOptions options;
        private final Channel next;
        // Guarded by this:
        private ClientCall<Q, R> attempt;
        private Listener<R> listener;
        private Metadata headers;
        private Q message;
        private int requested;
        private boolean halfClosed;
        private boolean retried;
        private boolean cancelled;

        RetryingUnaryCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            this.method = method;
            this.options = options;
            this.next = next;
        }

        @Override
        public synchronized void start(Listener<R> listener, Metadata headers) {
            this.listener = listener;
            this.headers = headers;
            startAttempt();
        }

        // Called with this locked.
        private void startAttempt() {
            AtomicReference<String> used = new AtomicReference<>();
            ClientCall<Q, R> call = next.newCall(method, options.withCallCredentials(new Bearer(used)));
            attempt = call;
            Metadata h = new Metadata();
            h.merge(headers);
            call.start(new Listener<R>() {
                private boolean delivered;

                @Override
                public void onHeaders(Metadata md) {
                    listener.onHeaders(md);
                }

                @Override
                public void onMessage(R m) {
                    delivered = true;
                    listener.onMessage(m);
                }

                @Override
                public void onReady() {
                    listener.onReady();
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    synchronized (RetryingUnaryCall.this) {
                        String refused = used.get();
                        if (status.getCode() == Status.Code.UNAUTHENTICATED && refused != null && !delivered
                            && !retried && !cancelled) {
                            // The broker refused a token (not a failed exchange): replace it, send again.
                            retried = true;
                            invalidate(refused);
                            startAttempt();
                            if (requested > 0) {
                                attempt.request(requested);
                            }
                            if (message != null) {
                                attempt.sendMessage(message);
                            }
                            if (halfClosed) {
                                attempt.halfClose();
                            }
                            return;
                        }
                    }
                    listener.onClose(status, trailers);
                }
            }, h);
        }

        @Override
        public synchronized void request(int n) {
            requested += n;
            attempt.request(n);
        }

        @Override
        public synchronized void cancel(String msg, Throwable cause) {
            cancelled = true;
            if (attempt != null) {
                attempt.cancel(msg, cause);
            }
        }

        @Override
        public synchronized void halfClose() {
            halfClosed = true;
            attempt.halfClose();
        }

        @Override
        public synchronized void sendMessage(Q m) {
            message = m;
            attempt.sendMessage(m);
        }

        @Override
        public synchronized boolean isReady() {
            return attempt.isReady();
        }
    }
}
