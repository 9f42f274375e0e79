package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SCRAM client replays the shared vectors (clients/testdata/scram_vectors.json: RFC 7677's
 * SCRAM-SHA-256 example, a SCRAM-SHA-512 one and an escaped user name, each checked against
 * xdg-go/scram) and refuses dishonest server messages.
 */
class ScramClientTest {
    static List<JsonObject> vectors() throws Exception {
        JsonObject doc = JsonParser.parseString(Files.readString(Path.of(System.getProperty("sluice.scram.vectors"))))
            .getAsJsonObject();
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : doc.getAsJsonArray("vectors")) {
            out.add(e.getAsJsonObject());
        }
        return out;
    }

    static Stream<JsonObject> eachVector() throws Exception {
        return vectors().stream();
    }

    private static String s(JsonObject v, String field) {
        return v.get(field).getAsString();
    }

    private static ScramClient client(JsonObject v) throws Exception {
        ScramCredentials.Mechanism mech = s(v, "mechanism").equals("SCRAM-SHA-512")
            ? ScramCredentials.Mechanism.SCRAM_SHA_512 : ScramCredentials.Mechanism.SCRAM_SHA_256;
        return new ScramClient(s(v, "username"), s(v, "password").toCharArray(), mech, s(v, "client_nonce"), null);
    }

    @Test
    void theVectorsIncludeRfc7677AndSha512() throws Exception {
        JsonObject rfc = vectors().stream().filter(v -> s(v, "source").equals("RFC 7677 section 3")).findFirst()
            .orElseThrow();
        assertEquals("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", s(rfc, "server_final"));
        assertTrue(s(rfc, "client_final").endsWith(",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        assertTrue(vectors().stream().anyMatch(v -> s(v, "mechanism").equals("SCRAM-SHA-512")));
    }

    @ParameterizedTest
    @MethodSource("eachVector")
    void sendsTheVectorMessagesAndAcceptsItsServerFinal(JsonObject v) throws Exception {
        ScramClient c = client(v);
        assertEquals(s(v, "client_first"), c.clientFirst());
        assertEquals(s(v, "client_final"), c.clientFinal(s(v, "server_first")));
        c.verifyServerFinal(s(v, "server_final"));
    }

    @ParameterizedTest
    @MethodSource("eachVector")
    void refusesAServerSignatureThatDoesNotMatch(JsonObject v) throws Exception {
        ScramClient c = client(v);
        c.clientFinal(s(v, "server_first"));
        String sig = s(v, "server_final");
        String forged = sig.substring(0, 3) + (sig.charAt(3) == 'A' ? "B" : "A") + sig.substring(4);
        ScramClient.ScramException e = assertThrows(ScramClient.ScramException.class, () -> c.verifyServerFinal(forged));
        assertTrue(e.getMessage().contains("server signature is wrong"), e.getMessage());
        e = assertThrows(ScramClient.ScramException.class, () -> c.verifyServerFinal("e=invalid-proof"));
        assertTrue(e.getMessage().contains("refused: invalid-proof"), e.getMessage());
    }

    @Test
    void aWrongPasswordGivesADifferentProof() throws Exception {
        JsonObject v = vectors().get(0);
        ScramClient c = new ScramClient(s(v, "username"), "pencil2".toCharArray(),
            ScramCredentials.Mechanism.SCRAM_SHA_256, s(v, "client_nonce"), null);
        assertNotEquals(s(v, "client_final"), c.clientFinal(s(v, "server_first")));
    }

    @Test
    void userNamesEscapeEqualsAndComma() throws Exception {
        assertEquals("a=3Db=2Cc", ScramClient.escapeUsername("a=b,c"));
        assertEquals("n,,n=a=3Db=2Cc,r=n0",
            new ScramClient("a=b,c", "x".toCharArray(), ScramCredentials.Mechanism.SCRAM_SHA_256, "n0", null)
                .clientFirst());
    }

    @Test
    void serverFirstMustExtendTheNonceAndIterateEnough() throws Exception {
        JsonObject v = vectors().get(0);
        String n = s(v, "client_nonce");
        String salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
        String[][] cases = {
            {"r=someone-elses-nonce,s=" + salt + ",i=4096", "does not extend"},
            {"r=" + n + ",s=" + salt + ",i=4096", "does not extend"},
            {"r=" + n + "x,s=" + salt + ",i=1024", "fewer than the minimum 4096"},
            {"r=" + n + "x,s=" + salt, "needs r=, s= and i="},
            {"m=ext,r=" + n + "x,s=" + salt + ",i=4096", "extension"},
            {"r=" + n + "x,s=!!,i=4096", "not base64"},
        };
        for (String[] c : cases) {
            ScramClient.ScramException e = assertThrows(ScramClient.ScramException.class,
                () -> client(v).clientFinal(c[0]));
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }

    @Test
    void saslprepIsAsciiOnlyAndErrorsNeverShowThePassword() throws Exception {
        assertEquals("user", ScramClient.saslprep("user", "x"));
        assertThrows(ScramClient.ScramException.class, () -> ScramClient.saslprep("\u00aa", "username"));
        ScramClient.ScramException e = assertThrows(ScramClient.ScramException.class,
            () -> new ScramClient("alice", "s3cret\u0007".toCharArray(), ScramCredentials.Mechanism.SCRAM_SHA_256, null,
                null));
        assertTrue(e.getMessage().contains("control character"));
        assertFalse(e.getMessage().contains("s3cret"));
        assertFalse(ScramCredentials.of("alice", "s3cret").toString().contains("s3cret"));
    }
}
