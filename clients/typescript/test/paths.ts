import { fileURLToPath } from "node:url";

/** clients/typescript, from the compiled test-dist/test/ directory. */
export const packageDir = fileURLToPath(new URL("../../", import.meta.url));
/** clients/testdata, shared by every SDK. */
export const testdataDir = fileURLToPath(new URL("../../../testdata/", import.meta.url));
