import fs from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * The TLS identity of the sandbox's Kubernetes API servers: a certificate authority, as each EKS
 * cluster has (`certificateAuthority.data` in DescribeCluster), and the serving certificate it
 * signed for 127.0.0.1 and localhost. Clients verify the server against the CA, as they must on
 * EKS; kubectl and client-go send a bearer token only over TLS.
 */
export interface SandboxTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const YEAR_MS = 365 * 24 * 3600 * 1000;

const pem = (label: string, der: ArrayBuffer) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .trimEnd()}\n-----END ${label}-----\n`;

async function createTls(): Promise<SandboxTls> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(Date.now() + 10 * YEAR_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=kubernetes',
    notBefore,
    notAfter,
    keys: caKeys as CryptoKeyPair,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  const serverKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: serverKeys.publicKey,
    signingKey: (caKeys as CryptoKeyPair).privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  return {
    caPem: ca.toString('pem'),
    certPem: cert.toString('pem'),
    keyPem: pem(
      'PRIVATE KEY',
      await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey),
    ),
  };
}

/**
 * The sandbox's TLS identity: kept in the data folder when there is one, so that a restarted
 * sandbox serves the CA its clusters were described with; made anew for a sandbox in memory.
 */
export async function sandboxTls(dataDir?: string): Promise<SandboxTls> {
  const file = dataDir && path.join(dataDir, 'kubernetes-tls.json');
  if (file && fs.existsSync(file))
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  const tls = await createTls();
  if (file) {
    fs.mkdirSync(dataDir!, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(tls), { mode: 0o600 });
  }
  return tls;
}
