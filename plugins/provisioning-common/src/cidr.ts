/** Parses an IPv4 CIDR into [network address, prefix], or undefined. */
export function parseCidr(cidr: string): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(
    cidr,
  );
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some(o => o > 255) || prefix > 32) return undefined;
  const address =
    ((octets[0] << 24) >>> 0) +
    (octets[1] << 16) +
    (octets[2] << 8) +
    octets[3];
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (address & mask) >>> 0 === address ? [address, prefix] : undefined;
}

const formatIp = (n: number) =>
  [24, 16, 8, 0].map(s => (n >>> s) & 255).join('.');

/** Splits a CIDR into `count` equal subnets (the smallest power of two that fits). */
export function splitCidr(cidr: string, count: number): string[] {
  const [address, prefix] = parseCidr(cidr)!;
  const bits = Math.ceil(Math.log2(Math.max(count, 1)));
  const size = 2 ** (32 - prefix - bits);
  return Array.from(
    { length: count },
    (_, i) => `${formatIp(address + i * size)}/${prefix + bits}`,
  );
}
