package io.sluice.client;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client side of SCRAM (RFC 5802, RFC 7677) on javax.crypto: no channel binding ("n,,"), no
 * authzid. One conversation: {@link #clientFirst()}, then {@link #clientFinal(String)} with the
 * server-first message, then {@link #verifyServerFinal(String)}. SASLprep is ASCII-only: a user name
 * or password outside printable ASCII is refused (SASLprep maps ASCII to itself).
 */
final class ScramClient {
    /** Fewer PBKDF2 iterations than RFC 7677's minimum make a stolen exchange cheap to brute-force. */
    static final int MIN_ITERATIONS = 4096;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The exchange cannot go on. The message never holds the password. */
    static final class ScramException extends Exception {
        private static final long serialVersionUID = 1L;

        ScramException(String message) {
            super(message);
        }
    }

    private final ScramCredentials.Mechanism mechanism;
    private final char[] password;
    private final String nonce;
    private final String bare;
    private final Map<String, byte[]> salted;
    private byte[] serverSignature;

    /** {@code nonce} null draws one; {@code salted} caches PBKDF2 results across conversations (may be null). */
    ScramClient(String username, char[] password, ScramCredentials.Mechanism mechanism, String nonce,
                Map<String, byte[]> salted) throws ScramException {
        this.mechanism = mechanism;
        String user = saslprep(username, "username");
        if (user.isEmpty()) {
            throw new ScramException("username: must not be empty");
        }
        saslprep(new String(password), "password");
        this.password = password.clone();
        if (nonce == null) {
            byte[] raw = new byte[24];
            RANDOM.nextBytes(raw);
            nonce = Base64.getEncoder().encodeToString(raw);
        }
        this.nonce = nonce;
        this.bare = "n=" + escapeUsername(user) + ",r=" + nonce;
        this.salted = salted != null ? salted : new HashMap<>();
    }

    /** SASLprep (RFC 4013) for ASCII text, which maps to itself; refuses control characters and anything else. */
    static String saslprep(String s, String what) throws ScramException {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0x7e) {
                throw new ScramException(what + ": only ASCII is supported (SASLprep of other text is not implemented)");
            }
            if (c < 0x20) {
                throw new ScramException(what + ": contains a control character, which SASLprep prohibits");
            }
        }
        return s;
    }

    /** RFC 5802 saslname: "=" as "=3D", "," as "=2C". */
    static String escapeUsername(String name) {
        return name.replace("=", "=3D").replace(",", "=2C");
    }

    String clientFirst() {
        return "n,," + bare;
    }

    String clientFinal(String serverFirst) throws ScramException {
        Map<Character, String> f = fields(serverFirst, "server-first message");
        if (f.containsKey('m')) {
            throw new ScramException("server-first message: asks for an extension this client does not support");
        }
        String r = f.get('r');
        String s = f.get('s');
        String i = f.get('i');
        if (r == null || r.isEmpty() || s == null || i == null) {
            throw new ScramException("server-first message: needs r=, s= and i=");
        }
        if (!r.startsWith(nonce) || r.length() == nonce.length()) {
            throw new ScramException("server-first message: the nonce does not extend the client's");
        }
        byte[] salt = base64(s, "server-first message: s=");
        int iterations;
        try {
            iterations = Integer.parseInt(i);
        } catch (NumberFormatException e) {
            throw new ScramException("server-first message: i= is not a number");
        }
        if (iterations < MIN_ITERATIONS) {
            throw new ScramException("server-first message: " + iterations + " iterations, fewer than the minimum "
                + MIN_ITERATIONS);
        }
        String withoutProof = "c=biws,r=" + r;
        String authMessage = bare + "," + serverFirst + "," + withoutProof;
        try {
            byte[] saltedPassword = salted.get(mechanism + "/" + s + "/" + iterations);
            if (saltedPassword == null) {
                PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, mechanism.hashBytes * 8);
                try {
                    saltedPassword = SecretKeyFactory.getInstance(mechanism.pbkdf2).generateSecret(spec).getEncoded();
                } finally {
                    spec.clearPassword();
                }
                salted.put(mechanism + "/" + s + "/" + iterations, saltedPassword);
            }
            byte[] clientKey = hmac(saltedPassword, "Client Key");
            byte[] storedKey = MessageDigest.getInstance(mechanism.digest).digest(clientKey);
            byte[] signature = hmac(storedKey, authMessage);
            byte[] proof = new byte[clientKey.length];
            for (int k = 0; k < proof.length; k++) {
                proof[k] = (byte) (clientKey[k] ^ signature[k]);
            }
            serverSignature = hmac(hmac(saltedPassword, "Server Key"), authMessage);
            return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
        } catch (GeneralSecurityException e) {
            throw new ScramException(mechanism.pbkdf2 + " is not available in this JVM: " + e.getMessage());
        }
    }

    /** Throws unless the server proved it holds the credentials. */
    void verifyServerFinal(String serverFinal) throws ScramException {
        if (serverSignature == null) {
            throw new ScramException("verifyServerFinal before clientFinal");
        }
        Map<Character, String> f = fields(serverFinal, "server-final message");
        if (f.containsKey('e')) {
            throw new ScramException("server-final message: the broker refused: " + f.get('e'));
        }
        byte[] got = base64(f.getOrDefault('v', ""), "server-final message: v=");
        if (!MessageDigest.isEqual(got, serverSignature)) {
            throw new ScramException(
                "server-final message: the server signature is wrong; the broker does not hold this user's credentials");
        }
    }

    private byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(mechanism.hmac);
        mac.init(new SecretKeySpec(key, mechanism.hmac));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] base64(String s, String what) throws ScramException {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new ScramException(what + " is not base64");
        }
    }

    private static Map<Character, String> fields(String message, String what) throws ScramException {
        Map<Character, String> out = new HashMap<>();
        for (String part : message.split(",", -1)) {
            if (part.length() < 2 || part.charAt(1) != '=') {
                throw new ScramException(what + ": malformed attribute \"" + part.substring(0, Math.min(20, part.length()))
                    + "\"");
            }
            out.putIfAbsent(part.charAt(0), part.substring(2));
        }
        return out;
    }
}
