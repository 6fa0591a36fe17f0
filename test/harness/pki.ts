/**
 * A throw-away PKI for the TLS tests, made at test time with Debian's
 * openssl: two unrelated CAs and three server certificates (EC P-256):
 *
 *   server      signed by `ca`,      names localhost + 127.0.0.1  (the good one)
 *   wrongname   signed by `ca`,      names wrong.example only     (name mismatch)
 *   untrusted   signed by `otherCa`, names localhost + 127.0.0.1  (unknown CA)
 *
 * Fails loudly when openssl is missing.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";

export interface CertPair {
  cert: string;
  key: string;
}

export interface TestPki {
  /** PEM file of the CA every good broker certificate chains to. */
  caFile: string;
  otherCaFile: string;
  server: CertPair;
  wrongName: CertPair;
  untrusted: CertPair;
  /** SHA-256 fingerprint of server.cert ("AA:BB:…"). */
  serverFingerprint256: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`openssl is not installed (the TLS tests generate their certificates with it; apt-get install -y openssl): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

function makeCa(dir: string, name: string): void {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.pem`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
}

function makeServer(dir: string, name: string, ca: string, cn: string, san: string): CertPair {
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${cn}`,
    "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.pem`], dir);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** Writes the PKI into `dir` (an existing private directory). */
export function makeTestPki(dir: string): TestPki {
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  const server = makeServer(dir, "server", "ca", "localhost", "DNS:localhost,IP:127.0.0.1");
  const wrongName = makeServer(dir, "wrongname", "ca", "wrong.example", "DNS:wrong.example");
  const untrusted = makeServer(dir, "untrusted", "other-ca", "localhost", "DNS:localhost,IP:127.0.0.1");
  const serverFingerprint256 = new X509Certificate(readFileSync(server.cert)).fingerprint256;
  return { caFile: join(dir, "ca.pem"), otherCaFile: join(dir, "other-ca.pem"), server, wrongName, untrusted, serverFingerprint256 };
}
