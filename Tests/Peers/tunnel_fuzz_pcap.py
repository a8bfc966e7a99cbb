"""Hostile tunnel frames for tap --read: VXLAN, Geneve and GRE headers with garbage
flags, option lengths past the end, cut frames and up to 30 tunnels nested, random
bytes inside. usage: tunnel_fuzz_pcap.py OUT.pcap SEED [FRAMES]"""
import random, struct, sys
random.seed(int(sys.argv[2]))
def ip4(proto, payload, src=b'\xc0\xa8\x07\x01', dst=b'\xc0\xa8\x07\x02'):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, src, dst)
    return h + payload
def eth(t, p): return b'\x02'*6 + b'\x04'*6 + struct.pack('!H', t) + p
def rnd(n): return bytes(random.getrandbits(8) for _ in range(n))
def nest(depth):
    kind = random.choice(['vx','gen','gre','junk'])
    inner = rnd(random.randint(0, 80)) if depth == 0 or random.random() < 0.3 else None
    if inner is None:
        inner = nest(depth - 1)
    if kind == 'vx':
        body = bytes([random.choice([8, 0, 0xff])]) + rnd(3) + rnd(4) + eth(random.choice([0x800, 0x86dd, 0x6558]), inner)
        return ip4(17, struct.pack('!HHHH', 1234, 4789, 8 + len(body), 0) + body)
    if kind == 'gen':
        opt = random.randint(0, 63)
        body = bytes([opt]) + b'\x00' + struct.pack('!H', random.choice([0x6558, 0x800, 0x86dd, 1])) + rnd(4) + rnd(random.randint(0, opt*4))
        return ip4(17, struct.pack('!HHHH', 6081, 999, 8 + len(body) + len(inner), 0) + body + inner)
    if kind == 'gre':
        flags = random.choice([0, 0x8000, 0x2000, 0x1000, 0xb000, 0x0007, 0xffff])
        return ip4(47, struct.pack('!HH', flags, random.choice([0x800, 0x86dd, 0x6558])) + rnd(random.randint(0, 12)) + inner)
    return rnd(random.randint(0, 60))
out = open(sys.argv[1], 'wb')
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(int(sys.argv[3]) if len(sys.argv) > 3 else 20000):
    frame = eth(0x800, nest(random.randint(0, 30)))
    if random.random() < 0.3: frame = frame[:random.randint(0, len(frame))]
    out.write(struct.pack('<IIII', i, 0, len(frame), len(frame)) + frame)
