function __sockscope_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sockscope_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __sockscope_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sockscope_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __sockscope_parse_tokens -S
    set -l unparsed_tokens (__sockscope_tokens -pc)
    switch $unparsed_tokens[1]
    case 'sockscope'
        __sockscope_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'connect'
            __sockscope_parse_subcommand 2 'u/udp' 'U/unix=' '4' '6' 's/source=' 'p/source-port=' 'w/timeout=' 'size=' 'nodelay' 'keepalive' 'keepalive-time=' 'linger=' 'recv-buffer=' 'send-buffer=' 'ttl=' 'tap' 'tap-interface=' 'tap-payload' 'pcap-out=' 'pcapng' 'follow-timewait' 'diagram=' 'plot=' 'frame=' 'max-frame=' 'frame-json' 'raw' 'hexdump' 'o/output=' 'tls' 'ca-file=' 'insecure' 'pin-sha256=+' 'sni=' 'client-cert=' 'client-key=' 'alpn=' 'tls-min=' 'tls-max=' 'ciphers=' 'keylog=' 'proxy=' 'proxy-type=' 'proxy-auth=' 'proxy-dns=' 'i/idle-timeout=' 'no-half-close' 'send-only' 'recv-only' 'stop-at-peer-close' 'keep-sending' 'C/crlf' 'v/verbose' 'e/exec=' 'c/sh-exec=' 'stderr' 'json' 'color=' 'version' 'h/help'
        case 'listen'
            __sockscope_parse_subcommand 2 'u/udp' 'U/unix=' '4' '6' 'backlog=' 'no-reuseaddr' 'k/keep-open' 'echo' 'upper' 'broker' 'chat' 'e/exec=' 'c/sh-exec=' 'stderr' 'accept-timeout=' 'max-clients=' 'allow=+' 'deny=+' 'allow-file=' 'deny-file=' 'nodelay' 'keepalive' 'keepalive-time=' 'linger=' 'recv-buffer=' 'send-buffer=' 'ttl=' 'tap' 'tap-interface=' 'tap-payload' 'pcap-out=' 'pcapng' 'follow-timewait' 'diagram=' 'plot=' 'frame=' 'max-frame=' 'frame-json' 'raw' 'hexdump' 'o/output=' 'tls' 'cert=' 'key=' 'require-client-cert' 'ca-file=' 'alpn=' 'tls-min=' 'tls-max=' 'ciphers=' 'keylog=' 'i/idle-timeout=' 'no-half-close' 'send-only' 'recv-only' 'stop-at-peer-close' 'keep-sending' 'C/crlf' 'v/verbose' 'json' 'color=' 'version' 'h/help'
        case 'forward'
            __sockscope_parse_subcommand -r 1 'U/unix=' 'target-unix=' 'u/udp' 'i/idle-timeout=' 'w/timeout=' '4' '6' 'max-clients=' 'allow=+' 'deny=+' 'allow-file=' 'deny-file=' 'backlog=' 'delay=' 'jitter=' 'rate=' 'slice=' 'slice-gap=' 'reset-after=' 'close-after=' 'stall-after=' 'refuse=' 'upstream' 'downstream' 'tap' 'tap-interface=' 'tap-payload' 'pcap-out=' 'pcapng' 'follow-timewait' 'diagram=' 'plot=' 'proxy=' 'proxy-type=' 'proxy-auth=' 'proxy-dns=' 'tls' 'cert=' 'key=' 'require-client-cert' 'ca-file=' 'alpn=' 'tls-min=' 'tls-max=' 'ciphers=' 'keylog=' 'target-tls' 'target-ca-file=' 'target-insecure' 'target-sni=' 'v/verbose' 'hexdump' 'json' 'color=' 'version' 'h/help'
        case 'proxy'
            __sockscope_parse_subcommand -r 1 'w/timeout=' '4' '6' 'max-clients=' 'allow=+' 'deny=+' 'allow-file=' 'deny-file=' 'tls' 'cert=' 'key=' 'require-client-cert' 'ca-file=' 'alpn=' 'tls-min=' 'tls-max=' 'ciphers=' 'keylog=' 'backlog=' 'auth=' 'allow-target=+' 'v/verbose' 'json' 'color=' 'version' 'h/help'
        case 'send'
            __sockscope_parse_subcommand 3 'lines' 'size=' 'connect' 'wait=' 'replies=' '4' '6' 's/source=' 'ttl=' 'group=' 'loop' 'interface=' 'hexdump' 'raw' 'json' 'v/verbose' 'color=' 'version' 'h/help'
        case 'recv'
            __sockscope_parse_subcommand 2 '4' '6' 'buffer=' 'recv-buffer=' 'reply=' 'echo' 'upper' 'count=' 'w/idle-timeout=' 'reuseport' 'group=' 'interface=' 'hexdump' 'raw' 'json' 'v/verbose' 'color=' 'version' 'h/help'
        case 'broadcast'
            __sockscope_parse_subcommand 2 'to=' 'interface=' 'wait=' 'replies=' 'no-so-broadcast' 's/source=' 'hexdump' 'raw' 'json' 'v/verbose' 'color=' 'version' 'h/help'
        case 'probe'
            __sockscope_parse_subcommand 2 'p=' 'exclude=' 'exclude-file=' 'shard=' 'resume=' 'diff=' 'seed=' 'u/udp' '4' '6' 'all-addresses' 'parallel=' 'retries=' 'rate=' 'timeout=' 'graceful' 'payload=' 'payload-hex=' 'a/all' 'banner' 'banner-send=' 'c/count=' 'i/interval=' 'json' 'q/quiet' 'tls' 'ca-file=' 'insecure' 'pin-sha256=+' 'sni=' 'client-cert=' 'client-key=' 'alpn=' 'tls-min=' 'tls-max=' 'ciphers=' 'keylog=' 'tap' 'tap-interface=' 'tap-payload' 'pcap-out=' 'pcapng' 'follow-timewait' 'diagram=' 'plot=' 'proxy=' 'proxy-type=' 'proxy-auth=' 'proxy-dns=' 'color=' 'version' 'h/help'
        case 'merge'
            __sockscope_parse_subcommand -r 1 'json' 'color=' 'version' 'h/help'
        case 'resolve'
            __sockscope_parse_subcommand 2 '4' '6' 'type=' 'passive' 'numeric-host' 'numeric-service' 'addrconfig' 'v4mapped' 'ai-all' 'gethostbyname' 'fqdn' 'reverse' 'name-required' 'service=' 'port=' 'json' 'color=' 'version' 'h/help'
        case 'tap'
            __sockscope_parse_subcommand -r 1 'i/interface=' 'r/read=' 'c/count=' 'duration=' 'w/pcap-out=' 'pcapng' 'tap-payload' 'time=' 't' 'n' 'q' 'wide' 'summary' 'diagram=' 'plot=' 'conversation=' 'json' 'color=' 'version' 'h/help'
        case 'sockets'
            __sockscope_parse_subcommand 0 't/tcp' 'u/udp' 'x/unix' '4' '6' 'port=' 'state=' 'l/listening' 'a/all' 'n/numeric' 'wide' 'p/processes' 'pid=' 'json' 'color=' 'version' 'h/help'
        case 'demo'
            __sockscope_parse_subcommand 0 '6' 'json' 'pcap-out=' 'pcapng' 'diagram=' 'plot=' 'no-packets' 'tls' 'color=' 'version' 'h/help'
        case 'help'
            __sockscope_parse_subcommand -r 1 'version'
        end
    end
end

function __sockscope_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __sockscope_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __sockscope_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __sockscope_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__sockscope_tokens -p)
    if test -z "$(__sockscope_tokens -t)"
        set -l index (count (__sockscope_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'sockscope' -f
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'connect' -d 'Connect to HOST PORT and relay stdin to the socket and the socket to stdout.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'listen' -d 'Listen on [ADDR] PORT, accept a client, and relay it to stdin/stdout (or echo).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'forward' -d 'Relay each client to its own connection to a target, like socat TCP-LISTEN:PORT,fork TCP:HOST:PORT.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'proxy' -d 'Serve as a SOCKS5, SOCKS4 and HTTP CONNECT proxy, each request logged.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'send' -d 'Send UDP datagrams to HOST PORT: MESSAGE, or stdin whole, per line or per N bytes.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'recv' -d 'Receive UDP datagrams on [ADDR] PORT and show each: time, source, size, payload.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'broadcast' -d 'Broadcast a UDP datagram to PORT (SO_BROADCAST) and collect who answers.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'probe' -d 'Probe ports with connect() and report each result code, like nmap -sT --reason.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'merge' -d 'Combine the outputs of a scan\'s shards (or of a resumed scan\'s runs) into one scan.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'resolve' -d 'Resolve names exactly as the C library does: getaddrinfo, gethostbyname, getnameinfo, services.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'tap' -d 'Capture TCP conversations on an interface and annotate every packet with the TCP states it causes.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'sockets' -d 'List the kernel\'s sockets (netlink sock_diag, as ss does), with queues and timers.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'demo' -d 'Walk through the life of one TCP connection on loopback, with the kernel\'s view at every step.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope connect" -eq 1' -fka '(awk \'!/^#/ && NF { split($2, p, "/"); print $1; print p[1] }\' /etc/services | sort -u)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" u udp' -s 'u' -l 'udp' -d 'Use UDP (with -U: a Unix datagram socket).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" U unix' -s 'U' -l 'unix' -d 'Use a Unix socket at this path (@name: a Linux abstract socket).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" s source' -s 's' -l 'source' -d 'Bind to this local address before connecting.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" p source-port' -s 'p' -l 'source-port' -d 'Bind to this local port before connecting.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" timeout w' -s 'w' -l 'timeout' -d 'Give up setting up a connection after this many seconds: connect(), a proxy tunnel, a TLS handshake (connect: as long as the kernel tries; forward resets the client, proxy answers SOCKS5 reply 6 or HTTP 504, after 10 s by default).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" size' -l 'size' -d 'With -u: one datagram per N bytes of stdin, the last maybe shorter (default: one per read).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" nodelay' -l 'nodelay' -d 'Set TCP_NODELAY: send small writes at once (no Nagle coalescing).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" keepalive' -l 'keepalive' -d 'Set SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" keepalive-time' -l 'keepalive-time' -d 'With --keepalive (implied): probe after this many idle seconds, then every as many, and give up after 3 unanswered probes.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" linger' -l 'linger' -d 'Set SO_LINGER: 0 ends the connection with RST instead of FIN (no half-close, no TIME-WAIT); N makes close() wait up to N seconds for unsent data.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" recv-buffer' -l 'recv-buffer' -d 'SO_RCVBUF in bytes (K/M suffixes).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" send-buffer' -l 'send-buffer' -d 'SO_SNDBUF in bytes (K/M suffixes).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" ttl' -l 'ttl' -d 'IP_TTL / IPV6_UNICAST_HOPS of outgoing packets (1-255).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" tap' -l 'tap' -d 'Capture this connection\'s packets (libpcap; needs CAP_NET_RAW) and print them on stderr with the TCP states they cause.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" tap-interface' -l 'tap-interface' -d 'Capture on this interface (implies --tap; default: lo for loopback, else the route\'s).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" tap-payload' -l 'tap-payload' -d 'Keep payload bytes in the capture, not just the headers (implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" pcap-out' -l 'pcap-out' -d 'Also write the captured packets to this file (implies --tap): pcap, or pcapng with each packet\'s annotation for a .pcapng name.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" pcapng' -l 'pcapng' -d 'Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" follow-timewait' -l 'follow-timewait' -d 'After the close, keep reporting the TIME-WAIT socket until the kernel drops it (60 s; implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" diagram' -l 'diagram' -d 'Draw the conversation as a sequence (ladder) diagram in this SVG file: every segment an arrow, the TCP states on both lifelines.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" plot' -l 'plot' -d 'Draw the conversation\'s time-sequence graph (tcptrace) in this SVG file: sequence numbers over time, ACKs, window, retransmissions, SACK.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" frame' -l 'frame' -d 'Send each stdin line as one message and print each message received as one line: u32be or u16be (length-prefixed, as struct.pack(\'>I\', n)) or line.' -rfka 'u32be u16be line'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" max-frame' -l 'max-frame' -d 'Refuse (and close on) a frame announcing more than this many bytes (default 16M).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" frame-json' -l 'frame-json' -d 'With --frame: print each message as a JSON record (bytes, text when UTF-8, hex).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" raw' -l 'raw' -d 'With --frame: write each message\'s bytes as they are, back to back (by default each is one line, with non-printable bytes and newlines escaped as \\n, \\xNN).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" hexdump' -l 'hexdump' -d 'Show the traffic both ways on stderr as a hex dump (> sent, < received).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" o output' -s 'o' -l 'output' -d 'Also write the traffic, both ways, raw to this file.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" ssl tls' -l 'tls' -l 'ssl' -d 'Speak TLS over the connection (OpenSSL 3, loaded when needed); verifies the server by default. With -u: DTLS 1.2.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" ca-file' -l 'ca-file' -d 'Trust the CA certificates in this PEM file instead of the system\'s.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" insecure' -l 'insecure' -d 'Do not verify the server\'s certificate (the result is still reported).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect"' -l 'pin-sha256' -d 'Trust the server only if its certificate has this SHA-256 fingerprint (hex, colons allowed, as listen --tls and openssl x509 -fingerprint -sha256 print it), in place of CA and name checks; repeatable.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" sni' -l 'sni' -d 'Send this server name (SNI) and verify the certificate against it (default: the host, when it is a name).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" client-cert' -l 'client-cert' -d 'Present this certificate (PEM, with its chain) to the server.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" client-key' -l 'client-key' -d 'The client certificate\'s private key (PEM; default: in --client-cert).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" alpn' -l 'alpn' -d 'Application protocols to offer or accept (ALPN), comma-separated, e.g. h2,http/1.1.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" tls-min' -l 'tls-min' -d 'The lowest TLS version to accept: 1.2 (the default) or 1.3; 1.0 or 1.1 to reach an old server, for diagnosis.' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" tls-max' -l 'tls-max' -d 'The highest TLS version to offer: 1.2 or 1.3 (1.0 and 1.1 with --tls-min).' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" ciphers' -l 'ciphers' -d 'OpenSSL cipher names (colon-separated): TLS_* names are TLS 1.3 suites, the rest TLS 1.2 ciphers.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" keylog' -l 'keylog' -d 'Append the session secrets to this file (SSLKEYLOGFILE format), so Wireshark or tshark can decrypt a capture.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" proxy' -l 'proxy' -d 'Connect through this proxy: socks5://[USER:PASS@]HOST[:PORT], socks4a://, socks4:// or http:// (CONNECT); HOST[:PORT] is HTTP unless --proxy-type says.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" proxy-type' -l 'proxy-type' -d 'The proxy\'s protocol when --proxy has no scheme (ncat): socks4, socks4a, socks5, http.' -rfka 'socks4 socks4a socks5 http'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" proxy-auth' -l 'proxy-auth' -d 'The proxy\'s user and password (ncat), instead of putting them in the URL. HTTP: answers the proxy\'s 407 challenge, Digest before Basic.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" proxy-dns' -l 'proxy-dns' -d 'Where a target\'s name is resolved: remote (by the proxy, the default; SOCKS4 cannot) or local (here).' -rfka 'local remote'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" i idle-timeout' -s 'i' -l 'idle-timeout' -d 'Close after this many seconds with no data either way (a UDP listener stops).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" no-half-close' -l 'no-half-close' -d 'At the end of stdin, do not send FIN; wait for the peer to close.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" send-only' -l 'send-only' -d 'Only send stdin; drop what the peer sends, and end when stdin has been sent (ncat) and the peer has closed or been quiet for 0.5 s (2 s at most).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" recv-only' -l 'recv-only' -d 'Only receive; never read stdin, and end when the peer closes (ncat).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" stop-at-peer-close' -l 'stop-at-peer-close' -d 'When the peer sends FIN first, stop sending stdin and end (ncat -l\'s way); by default stdin is sent to its end.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" keep-sending' -l 'keep-sending' -d 'Send stdin to its end after the peer\'s FIN (the default; the opposite of --stop-at-peer-close).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" C crlf' -s 'C' -l 'crlf' -d 'Send line endings as CR LF (a bare LF in stdin becomes CR LF).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" v verbose' -l 'verbose' -s 'v' -d 'Narrate every socket call on stderr.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" e exec' -s 'e' -l 'exec' -d 'Run this program (split on spaces, run without a shell) with the connection as its stdin and stdout; listen: one per client.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" c sh-exec' -s 'c' -l 'sh-exec' -d 'Like --exec, with /bin/sh -c STRING.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" stderr' -l 'stderr' -d 'With --exec/--sh-exec: send the program\'s stderr to the connection too.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope connect" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope listen" -eq 1' -fka '(awk \'!/^#/ && NF { split($2, p, "/"); print $1; print p[1] }\' /etc/services | sort -u)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" u udp' -s 'u' -l 'udp' -d 'Use UDP (with -U: a Unix datagram socket).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" U unix' -s 'U' -l 'unix' -d 'Use a Unix socket at this path (@name: a Linux abstract socket).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" backlog' -l 'backlog' -d 'Queue length for connections not yet accepted (default 128).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" no-reuseaddr' -l 'no-reuseaddr' -d 'Do not set SO_REUSEADDR (binding then fails while TIME-WAIT sockets hold the port).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" k keep-open' -s 'k' -l 'keep-open' -d 'Keep listening and serve clients concurrently.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" echo' -l 'echo' -d 'Send back everything a client sends.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" upper' -l 'upper' -d 'Send back everything a client sends, upper-cased (ASCII letters).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" broker' -l 'broker' -d 'Send stdin to every client and relay what each sends to every other (implies --keep-open).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" chat' -l 'chat' -d 'A broker with names: <user1> text, join and leave notices, /nick NAME (implies --keep-open).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" e exec' -s 'e' -l 'exec' -d 'Run this program (split on spaces, run without a shell) with the connection as its stdin and stdout; listen: one per client.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" c sh-exec' -s 'c' -l 'sh-exec' -d 'Like --exec, with /bin/sh -c STRING.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" stderr' -l 'stderr' -d 'With --exec/--sh-exec: send the program\'s stderr to the connection too.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" accept-timeout' -l 'accept-timeout' -d 'Give up when no client has connected within this many seconds (exit 75).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" max-clients' -l 'max-clients' -d 'Serve at most N clients at once (0 refuses every client); more are refused and logged. On listen it implies --keep-open; with -u a client is a source (address and port): the first N are served, with --exec N programs at once.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen"' -l 'allow' -d 'Accept only these clients: addresses, CIDR blocks, ranges (10.0.0.1-20, 192.168.*.1) or host names, comma-separated (repeatable).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen"' -l 'deny' -d 'Refuse these clients (written as for --allow; repeatable).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" allow-file' -l 'allow-file' -d 'Read --allow entries from a file (several per line, # comments).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" deny-file' -l 'deny-file' -d 'Read --deny entries from a file (several per line, # comments).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" nodelay' -l 'nodelay' -d 'Set TCP_NODELAY: send small writes at once (no Nagle coalescing).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" keepalive' -l 'keepalive' -d 'Set SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" keepalive-time' -l 'keepalive-time' -d 'With --keepalive (implied): probe after this many idle seconds, then every as many, and give up after 3 unanswered probes.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" linger' -l 'linger' -d 'Set SO_LINGER: 0 ends the connection with RST instead of FIN (no half-close, no TIME-WAIT); N makes close() wait up to N seconds for unsent data.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" recv-buffer' -l 'recv-buffer' -d 'SO_RCVBUF in bytes (K/M suffixes).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" send-buffer' -l 'send-buffer' -d 'SO_SNDBUF in bytes (K/M suffixes).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" ttl' -l 'ttl' -d 'IP_TTL / IPV6_UNICAST_HOPS of outgoing packets (1-255).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" tap' -l 'tap' -d 'Capture this connection\'s packets (libpcap; needs CAP_NET_RAW) and print them on stderr with the TCP states they cause.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" tap-interface' -l 'tap-interface' -d 'Capture on this interface (implies --tap; default: lo for loopback, else the route\'s).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" tap-payload' -l 'tap-payload' -d 'Keep payload bytes in the capture, not just the headers (implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" pcap-out' -l 'pcap-out' -d 'Also write the captured packets to this file (implies --tap): pcap, or pcapng with each packet\'s annotation for a .pcapng name.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" pcapng' -l 'pcapng' -d 'Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" follow-timewait' -l 'follow-timewait' -d 'After the close, keep reporting the TIME-WAIT socket until the kernel drops it (60 s; implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" diagram' -l 'diagram' -d 'Draw the conversation as a sequence (ladder) diagram in this SVG file: every segment an arrow, the TCP states on both lifelines.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" plot' -l 'plot' -d 'Draw the conversation\'s time-sequence graph (tcptrace) in this SVG file: sequence numbers over time, ACKs, window, retransmissions, SACK.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" frame' -l 'frame' -d 'Send each stdin line as one message and print each message received as one line: u32be or u16be (length-prefixed, as struct.pack(\'>I\', n)) or line.' -rfka 'u32be u16be line'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" max-frame' -l 'max-frame' -d 'Refuse (and close on) a frame announcing more than this many bytes (default 16M).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" frame-json' -l 'frame-json' -d 'With --frame: print each message as a JSON record (bytes, text when UTF-8, hex).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" raw' -l 'raw' -d 'With --frame: write each message\'s bytes as they are, back to back (by default each is one line, with non-printable bytes and newlines escaped as \\n, \\xNN).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" hexdump' -l 'hexdump' -d 'Show the traffic both ways on stderr as a hex dump (> sent, < received).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" o output' -s 'o' -l 'output' -d 'Also write the traffic, both ways, raw to this file.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" ssl tls' -l 'tls' -l 'ssl' -d 'Speak TLS with each client (OpenSSL 3, loaded when needed); listen -u: DTLS 1.2, one client.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" cert' -l 'cert' -d 'Our certificate (PEM, with its chain); without it an ephemeral self-signed one is made and its SHA-256 fingerprint printed.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" key' -l 'key' -d 'The certificate\'s private key (PEM; default: in --cert).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" require-client-cert' -l 'require-client-cert' -d 'Require each client to present a certificate signed by a CA in --ca-file (mutual TLS).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" ca-file' -l 'ca-file' -d 'The CA certificates (PEM) client certificates must chain to.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" alpn' -l 'alpn' -d 'Application protocols to offer or accept (ALPN), comma-separated, e.g. h2,http/1.1.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" tls-min' -l 'tls-min' -d 'The lowest TLS version to accept: 1.2 (the default) or 1.3; 1.0 or 1.1 to reach an old server, for diagnosis.' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" tls-max' -l 'tls-max' -d 'The highest TLS version to offer: 1.2 or 1.3 (1.0 and 1.1 with --tls-min).' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" ciphers' -l 'ciphers' -d 'OpenSSL cipher names (colon-separated): TLS_* names are TLS 1.3 suites, the rest TLS 1.2 ciphers.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" keylog' -l 'keylog' -d 'Append the session secrets to this file (SSLKEYLOGFILE format), so Wireshark or tshark can decrypt a capture.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" i idle-timeout' -s 'i' -l 'idle-timeout' -d 'Close after this many seconds with no data either way (a UDP listener stops).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" no-half-close' -l 'no-half-close' -d 'At the end of stdin, do not send FIN; wait for the peer to close.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" send-only' -l 'send-only' -d 'Only send stdin; drop what the peer sends, and end when stdin has been sent (ncat) and the peer has closed or been quiet for 0.5 s (2 s at most).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" recv-only' -l 'recv-only' -d 'Only receive; never read stdin, and end when the peer closes (ncat).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" stop-at-peer-close' -l 'stop-at-peer-close' -d 'When the peer sends FIN first, stop sending stdin and end (ncat -l\'s way); by default stdin is sent to its end.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" keep-sending' -l 'keep-sending' -d 'Send stdin to its end after the peer\'s FIN (the default; the opposite of --stop-at-peer-close).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" C crlf' -s 'C' -l 'crlf' -d 'Send line endings as CR LF (a bare LF in stdin becomes CR LF).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" v verbose' -l 'verbose' -s 'v' -d 'Narrate every socket call on stderr.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope listen" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" U unix' -s 'U' -l 'unix' -d 'Listen on this Unix socket instead of [LISTEN-ADDR] PORT (@name: abstract).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" target-unix' -l 'target-unix' -d 'Connect each client to this Unix socket instead of TARGET-HOST TARGET-PORT.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" u udp' -s 'u' -l 'udp' -d 'Forward UDP: a session per source, its own socket to the target, ended after -i of silence.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" i idle-timeout' -s 'i' -l 'idle-timeout' -d 'With -u: end a source\'s session after this many seconds without a datagram either way (default 60).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" timeout w' -s 'w' -l 'timeout' -d 'Give up setting up a connection after this many seconds: connect(), a proxy tunnel, a TLS handshake (connect: as long as the kernel tries; forward resets the client, proxy answers SOCKS5 reply 6 or HTTP 504, after 10 s by default).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" max-clients' -l 'max-clients' -d 'Serve at most N clients at once (0 refuses every client); more are refused and logged. On listen it implies --keep-open; with -u a client is a source (address and port): the first N are served, with --exec N programs at once.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward"' -l 'allow' -d 'Accept only these clients: addresses, CIDR blocks, ranges (10.0.0.1-20, 192.168.*.1) or host names, comma-separated (repeatable).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward"' -l 'deny' -d 'Refuse these clients (written as for --allow; repeatable).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" allow-file' -l 'allow-file' -d 'Read --allow entries from a file (several per line, # comments).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" deny-file' -l 'deny-file' -d 'Read --deny entries from a file (several per line, # comments).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" backlog' -l 'backlog' -d 'Queue length for connections not yet accepted (default 1024: a relay takes bursts; the kernel caps it at net.core.somaxconn).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" delay' -l 'delay' -d 'Hold each chunk MS milliseconds before passing it on (latency).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" jitter' -l 'jitter' -d 'Vary --delay by up to ± MS, uniformly (order is kept).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" rate' -l 'rate' -d 'Pass on at most BYTES per second (64K, 1M: powers of 1024).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" slice' -l 'slice' -d 'Split what passes into writes of at most BYTES, each its own segment (TCP_NODELAY), --slice-gap apart.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" slice-gap' -l 'slice-gap' -d 'The pause between slices (default 1 ms).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" reset-after' -l 'reset-after' -d 'After BYTES have reached the receiver, reset both legs (RST).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" close-after' -l 'close-after' -d 'After BYTES, send the receiver a FIN; what follows is read and dropped.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" stall-after' -l 'stall-after' -d 'After BYTES, pass nothing more and send no FIN: the connection stays, silent.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" refuse' -l 'refuse' -d 'Reset this share of new clients at once instead of forwarding them (0.25 or 25%).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" upstream' -l 'upstream' -d 'Apply the byte faults to client→target only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" downstream' -l 'downstream' -d 'Apply the byte faults to target→client only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" tap' -l 'tap' -d 'Capture this connection\'s packets (libpcap; needs CAP_NET_RAW) and print them on stderr with the TCP states they cause.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" tap-interface' -l 'tap-interface' -d 'Capture on this interface (implies --tap; default: lo for loopback, else the route\'s).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" tap-payload' -l 'tap-payload' -d 'Keep payload bytes in the capture, not just the headers (implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" pcap-out' -l 'pcap-out' -d 'Also write the captured packets to this file (implies --tap): pcap, or pcapng with each packet\'s annotation for a .pcapng name.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" pcapng' -l 'pcapng' -d 'Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" follow-timewait' -l 'follow-timewait' -d 'After the close, keep reporting the TIME-WAIT socket until the kernel drops it (60 s; implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" diagram' -l 'diagram' -d 'Draw the conversation as a sequence (ladder) diagram in this SVG file: every segment an arrow, the TCP states on both lifelines.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" plot' -l 'plot' -d 'Draw the conversation\'s time-sequence graph (tcptrace) in this SVG file: sequence numbers over time, ACKs, window, retransmissions, SACK.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" proxy' -l 'proxy' -d 'Connect through this proxy: socks5://[USER:PASS@]HOST[:PORT], socks4a://, socks4:// or http:// (CONNECT); HOST[:PORT] is HTTP unless --proxy-type says.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" proxy-type' -l 'proxy-type' -d 'The proxy\'s protocol when --proxy has no scheme (ncat): socks4, socks4a, socks5, http.' -rfka 'socks4 socks4a socks5 http'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" proxy-auth' -l 'proxy-auth' -d 'The proxy\'s user and password (ncat), instead of putting them in the URL. HTTP: answers the proxy\'s 407 challenge, Digest before Basic.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" proxy-dns' -l 'proxy-dns' -d 'Where a target\'s name is resolved: remote (by the proxy, the default; SOCKS4 cannot) or local (here).' -rfka 'local remote'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" ssl tls' -l 'tls' -l 'ssl' -d 'Speak TLS with each client (OpenSSL 3, loaded when needed); listen -u: DTLS 1.2, one client.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" cert' -l 'cert' -d 'Our certificate (PEM, with its chain); without it an ephemeral self-signed one is made and its SHA-256 fingerprint printed.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" key' -l 'key' -d 'The certificate\'s private key (PEM; default: in --cert).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" require-client-cert' -l 'require-client-cert' -d 'Require each client to present a certificate signed by a CA in --ca-file (mutual TLS).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" ca-file' -l 'ca-file' -d 'The CA certificates (PEM) client certificates must chain to.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" alpn' -l 'alpn' -d 'Application protocols to offer or accept (ALPN), comma-separated, e.g. h2,http/1.1.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" tls-min' -l 'tls-min' -d 'The lowest TLS version to accept: 1.2 (the default) or 1.3; 1.0 or 1.1 to reach an old server, for diagnosis.' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" tls-max' -l 'tls-max' -d 'The highest TLS version to offer: 1.2 or 1.3 (1.0 and 1.1 with --tls-min).' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" ciphers' -l 'ciphers' -d 'OpenSSL cipher names (colon-separated): TLS_* names are TLS 1.3 suites, the rest TLS 1.2 ciphers.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" keylog' -l 'keylog' -d 'Append the session secrets to this file (SSLKEYLOGFILE format), so Wireshark or tshark can decrypt a capture.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" target-tls' -l 'target-tls' -d 'Speak TLS to the target (verified by default), so its traffic can be watched in clear.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" target-ca-file' -l 'target-ca-file' -d 'Trust the CA certificates in this PEM file for the target.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" target-insecure' -l 'target-insecure' -d 'Do not verify the target\'s certificate (the result is still reported).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" target-sni' -l 'target-sni' -d 'Send this name (SNI) to the target and verify against it (default: TARGET-HOST when it is a name).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" v verbose' -s 'v' -l 'verbose' -d 'Narrate each connection: the target\'s answer, each FIN passed on, the counts at the end.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" hexdump' -l 'hexdump' -d 'Show what passes as a hex dump on stderr, each chunk headed by its connection and direction (> client→target, < target→client).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope forward" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" timeout w' -s 'w' -l 'timeout' -d 'Give up setting up a connection after this many seconds: connect(), a proxy tunnel, a TLS handshake (connect: as long as the kernel tries; forward resets the client, proxy answers SOCKS5 reply 6 or HTTP 504, after 10 s by default).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" max-clients' -l 'max-clients' -d 'Serve at most N clients at once (0 refuses every client); more are refused and logged. On listen it implies --keep-open; with -u a client is a source (address and port): the first N are served, with --exec N programs at once.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy"' -l 'allow' -d 'Accept only these clients: addresses, CIDR blocks, ranges (10.0.0.1-20, 192.168.*.1) or host names, comma-separated (repeatable).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy"' -l 'deny' -d 'Refuse these clients (written as for --allow; repeatable).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" allow-file' -l 'allow-file' -d 'Read --allow entries from a file (several per line, # comments).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" deny-file' -l 'deny-file' -d 'Read --deny entries from a file (several per line, # comments).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" ssl tls' -l 'tls' -l 'ssl' -d 'Speak TLS with each client (OpenSSL 3, loaded when needed); listen -u: DTLS 1.2, one client.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" cert' -l 'cert' -d 'Our certificate (PEM, with its chain); without it an ephemeral self-signed one is made and its SHA-256 fingerprint printed.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" key' -l 'key' -d 'The certificate\'s private key (PEM; default: in --cert).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" require-client-cert' -l 'require-client-cert' -d 'Require each client to present a certificate signed by a CA in --ca-file (mutual TLS).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" ca-file' -l 'ca-file' -d 'The CA certificates (PEM) client certificates must chain to.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" alpn' -l 'alpn' -d 'Application protocols to offer or accept (ALPN), comma-separated, e.g. h2,http/1.1.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" tls-min' -l 'tls-min' -d 'The lowest TLS version to accept: 1.2 (the default) or 1.3; 1.0 or 1.1 to reach an old server, for diagnosis.' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" tls-max' -l 'tls-max' -d 'The highest TLS version to offer: 1.2 or 1.3 (1.0 and 1.1 with --tls-min).' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" ciphers' -l 'ciphers' -d 'OpenSSL cipher names (colon-separated): TLS_* names are TLS 1.3 suites, the rest TLS 1.2 ciphers.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" keylog' -l 'keylog' -d 'Append the session secrets to this file (SSLKEYLOGFILE format), so Wireshark or tshark can decrypt a capture.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" backlog' -l 'backlog' -d 'Queue length for connections not yet accepted (default 1024: a relay takes bursts; the kernel caps it at net.core.somaxconn).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" auth' -l 'auth' -d 'Require this user and password (SOCKS5 user/password, HTTP Digest or Basic).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy"' -l 'allow-target' -d 'Let clients reach only these destinations (addresses, CIDR blocks; repeatable). Default: any.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" v verbose' -s 'v' -l 'verbose' -d 'Narrate each connection: the request, the destination\'s answer, the counts at the end.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope proxy" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" lines' -l 'lines' -d 'One datagram per line of stdin (the newline kept).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" size' -l 'size' -d 'One datagram per N bytes of stdin.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" connect' -l 'connect' -d 'connect() the socket first, so ICMP errors come back as ECONNREFUSED (waited for 0.2 s after the last datagram, or with --wait).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" wait' -l 'wait' -d 'Print replies until none has come for this many seconds.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" count replies' -l 'replies' -l 'count' -d 'With --wait: stop after this many replies (--count is the older spelling).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" s source' -s 's' -l 'source' -d 'Send from this local address.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" ttl' -l 'ttl' -d 'IP_TTL (multicast: IP_MULTICAST_TTL, default 1).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" group' -l 'group' -d 'Send to this multicast group (then give only PORT [MESSAGE]).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" loop' -l 'loop' -d 'With --group: IP_MULTICAST_LOOP, deliver to receivers on this host too when the datagram leaves by a real interface (sent by lo, it reaches them anyway).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" interface' -l 'interface' -d 'With --group: the interface to send by (IP_MULTICAST_IF).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" hexdump' -l 'hexdump' -d 'Show each payload as a hex dump.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" raw' -l 'raw' -d 'Write the payloads alone to stdout, back to back (for piping).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" v verbose' -l 'verbose' -s 'v' -d 'Narrate every socket call on stderr.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope send" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" buffer' -l 'buffer' -d 'Bytes kept of each datagram, like recvfrom(N) (default 65535).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" recv-buffer' -l 'recv-buffer' -d 'SO_RCVBUF: the kernel\'s queue for this socket (K/M suffixes; default 4M, so bursts are not dropped).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" reply' -l 'reply' -d 'Answer each datagram with this text.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" echo' -l 'echo' -d 'Answer each datagram with itself.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" upper' -l 'upper' -d 'Answer each datagram with itself upper-cased.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" count' -l 'count' -d 'Stop after this many datagrams.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" idle-timeout w' -s 'w' -l 'idle-timeout' -d 'Stop after this many seconds without a datagram (nc\'s -w).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" reuseport' -l 'reuseport' -d 'Set SO_REUSEPORT, so several receivers can share the port.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" group' -l 'group' -d 'Join this multicast group (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" interface' -l 'interface' -d 'The interface to join the group on (default: the route\'s).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" hexdump' -l 'hexdump' -d 'Show each payload as a hex dump.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" raw' -l 'raw' -d 'Write the payloads alone to stdout, back to back (for piping).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" v verbose' -l 'verbose' -s 'v' -d 'Narrate every socket call on stderr.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope recv" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" to' -l 'to' -d 'Send to this address instead of 255.255.255.255.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" interface' -l 'interface' -d 'Send to this interface\'s broadcast address (from getifaddrs).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" wait' -l 'wait' -d 'Print replies until none has come for this many seconds.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" count replies' -l 'replies' -l 'count' -d 'With --wait: stop after this many replies (--count is the older spelling).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" no-so-broadcast' -l 'no-so-broadcast' -d 'Do not set SO_BROADCAST (see the kernel\'s EACCES).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" s source' -s 's' -l 'source' -d 'Send from this local IPv4 address.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" hexdump' -l 'hexdump' -d 'Show each payload as a hex dump.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" raw' -l 'raw' -d 'Write the payloads alone to stdout, back to back (for piping).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" v verbose' -l 'verbose' -s 'v' -d 'Narrate every socket call on stderr.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope broadcast" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_positional "sockscope probe" -eq 1' -fka '(awk \'!/^#/ && NF { split($2, p, "/"); print $1; print p[1] }\' /etc/services | sort -u)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" p' -s 'p' -d 'The ports, as nmap -p takes them (-p 22,80, -p1-1024, -p- for all): instead of the ports argument.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" iL' -o 'iL' -d 'Read the targets from a file (- for standard input), separated by white space or commas, # comments (nmap -iL); then give only the ports.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" exclude' -l 'exclude' -d 'Leave out these targets (addresses, CIDR blocks, ranges, names; comma-separated).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" exclude-file' -l 'exclude-file' -d 'Leave out the targets a file lists (-iL\'s format).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" oX' -o 'oX' -d 'Also write nmap\'s XML of the scan to this file (- for stdout, instead of the table), as nmap -oX: it validates against nmap.dtd; ndiff, python-libnmap and Metasploit read it.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" oG' -o 'oG' -d 'Also write nmap\'s grepable format to this file (- for stdout, instead of the table), as nmap -oG.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" oA' -o 'oA' -d 'Write BASENAME.xml (-oX), BASENAME.gnmap (-oG) and BASENAME.nmap (a copy of the table), as nmap -oA.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" shard' -l 'shard' -d 'Probe only part I of N of the targets × ports: N machines given the same --seed each take one part, disjoint and together complete; auto: the part of this Slurm array task (auto/N: of this Kubernetes Indexed Job\'s N).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" resume' -l 'resume' -d 'Keep the scan\'s state in this file, after every window; after Ctrl-C, a kill or a reboot, \'probe --resume FILE\' alone continues it (the -oX/-oG/-oA files too).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" diff' -l 'diff' -d 'Print only what changed since this earlier scan (its --json or -oX output): ports that opened, closed, appeared, changed answer, banner or certificate; exit 0 when nothing did, 1 when something did.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" seed' -l 'seed' -d 'Seed of the probe order, random by default: the same seed gives the same order (every --shard must share one).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" u udp' -s 'u' -l 'udp' -d 'Probe UDP ports instead of TCP.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" all-addresses' -l 'all-addresses' -d 'List every address a name resolves to on its own (without it, a name\'s port is open when any of its addresses answers, as nc -z).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" parallel' -l 'parallel' -d 'The most probes in flight at once; below it the number follows the round trip and losses (default 4096 for TCP, 128 for UDP).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" retries' -l 'retries' -d 'Extra probes for a port that does not answer (default 1, more when answers that came only to a retry show loss).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" rate' -l 'rate' -d 'Send at most this many probes per second.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" timeout' -l 'timeout' -d 'Wait this many seconds for each answer instead of adapting to the round-trip time.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" graceful' -l 'graceful' -d 'Close probes with FIN instead of RST (leaves TIME-WAIT sockets; the summary counts them).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" payload' -l 'payload' -d 'Text every UDP probe carries (default: the service\'s own request on a well-known port — DNS, NTP, SNMP … — else an empty datagram).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" payload-hex' -l 'payload-hex' -d 'Bytes every UDP probe carries, in hex (e.g. 0d0a).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" a all' -s 'a' -l 'all' -d 'List every port, not only the open ones.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" banner' -l 'banner' -d 'Read what each open TCP port says first (SSH, SMTP, FTP, Redis\' -ERR …), up to 512 bytes within --timeout (default 2 s), shown escaped.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" banner-send' -l 'banner-send' -d 'Send this to each open port first and show the answer (implies --banner; \\r \\n \\t \\\\ \\xHH escapes), e.g. \'HEAD / HTTP/1.0\\r\\n\\r\\n\'.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" c count' -s 'c' -l 'count' -d 'Time N connects to one port, a line each, then min/avg/max/mdev and loss as ping prints them (0: until Ctrl-C).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" i interval' -s 'i' -l 'interval' -d 'Seconds between the starts of --count\'s connects (default 1), kept while a silent port\'s attempts wait, as ping keeps it (--tls: one handshake at a time).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" q quiet' -s 'q' -l 'quiet' -d 'Print nothing; the exit status says whether a port is open (with -u: or open|filtered).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" ssl tls' -l 'tls' -l 'ssl' -d 'Speak TLS over the connection (OpenSSL 3, loaded when needed); verifies the server by default. With -u: DTLS 1.2.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" ca-file' -l 'ca-file' -d 'Trust the CA certificates in this PEM file instead of the system\'s.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" insecure' -l 'insecure' -d 'Do not verify the server\'s certificate (the result is still reported).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe"' -l 'pin-sha256' -d 'Trust the server only if its certificate has this SHA-256 fingerprint (hex, colons allowed, as listen --tls and openssl x509 -fingerprint -sha256 print it), in place of CA and name checks; repeatable.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" sni' -l 'sni' -d 'Send this server name (SNI) and verify the certificate against it (default: the host, when it is a name).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" client-cert' -l 'client-cert' -d 'Present this certificate (PEM, with its chain) to the server.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" client-key' -l 'client-key' -d 'The client certificate\'s private key (PEM; default: in --client-cert).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" alpn' -l 'alpn' -d 'Application protocols to offer or accept (ALPN), comma-separated, e.g. h2,http/1.1.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" tls-min' -l 'tls-min' -d 'The lowest TLS version to accept: 1.2 (the default) or 1.3; 1.0 or 1.1 to reach an old server, for diagnosis.' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" tls-max' -l 'tls-max' -d 'The highest TLS version to offer: 1.2 or 1.3 (1.0 and 1.1 with --tls-min).' -rfka '1.0 1.1 1.2 1.3'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" ciphers' -l 'ciphers' -d 'OpenSSL cipher names (colon-separated): TLS_* names are TLS 1.3 suites, the rest TLS 1.2 ciphers.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" keylog' -l 'keylog' -d 'Append the session secrets to this file (SSLKEYLOGFILE format), so Wireshark or tshark can decrypt a capture.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" tap' -l 'tap' -d 'Capture this connection\'s packets (libpcap; needs CAP_NET_RAW) and print them on stderr with the TCP states they cause.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" tap-interface' -l 'tap-interface' -d 'Capture on this interface (implies --tap; default: lo for loopback, else the route\'s).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" tap-payload' -l 'tap-payload' -d 'Keep payload bytes in the capture, not just the headers (implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" pcap-out' -l 'pcap-out' -d 'Also write the captured packets to this file (implies --tap): pcap, or pcapng with each packet\'s annotation for a .pcapng name.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" pcapng' -l 'pcapng' -d 'Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" follow-timewait' -l 'follow-timewait' -d 'After the close, keep reporting the TIME-WAIT socket until the kernel drops it (60 s; implies --tap).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" diagram' -l 'diagram' -d 'Draw the conversation as a sequence (ladder) diagram in this SVG file: every segment an arrow, the TCP states on both lifelines.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" plot' -l 'plot' -d 'Draw the conversation\'s time-sequence graph (tcptrace) in this SVG file: sequence numbers over time, ACKs, window, retransmissions, SACK.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" proxy' -l 'proxy' -d 'Connect through this proxy: socks5://[USER:PASS@]HOST[:PORT], socks4a://, socks4:// or http:// (CONNECT); HOST[:PORT] is HTTP unless --proxy-type says.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" proxy-type' -l 'proxy-type' -d 'The proxy\'s protocol when --proxy has no scheme (ncat): socks4, socks4a, socks5, http.' -rfka 'socks4 socks4a socks5 http'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" proxy-auth' -l 'proxy-auth' -d 'The proxy\'s user and password (ncat), instead of putting them in the URL. HTTP: answers the proxy\'s 407 challenge, Digest before Basic.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" proxy-dns' -l 'proxy-dns' -d 'Where a target\'s name is resolved: remote (by the proxy, the default; SOCKS4 cannot) or local (here).' -rfka 'local remote'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope probe" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope merge" oX' -o 'oX' -d 'Also write nmap\'s XML of the merged scan to this file (- for stdout, instead of the table).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope merge" oG' -o 'oG' -d 'Also write nmap\'s grepable format of the merged scan to this file (- for stdout).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope merge" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope merge" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope merge" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope merge" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" type' -l 'type' -d 'Socket type hint: stream, dgram or raw (default: any).' -rfka 'stream dgram raw'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" passive' -l 'passive' -d 'AI_PASSIVE: addresses to bind a server to (with no NAME: the wildcard addresses).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" numeric-host' -l 'numeric-host' -d 'AI_NUMERICHOST: NAME must be a numeric address; never ask DNS.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" numeric-service' -l 'numeric-service' -d 'AI_NUMERICSERV: SERVICE must be a port number.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" addrconfig' -l 'addrconfig' -d 'AI_ADDRCONFIG: only families this machine has a (non-loopback) address of.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" v4mapped' -l 'v4mapped' -d 'AI_V4MAPPED: with -6, return IPv4 addresses as ::ffff:a.b.c.d when there is no IPv6 one.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" ai-all all' -l 'ai-all' -l 'all' -d 'AI_ALL (with --v4mapped): IPv6 and mapped IPv4 addresses both (--all is the older spelling).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" gethostbyname' -l 'gethostbyname' -d 'Use the legacy gethostbyname() instead (IPv4 only; official name, aliases, addresses).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" fqdn' -l 'fqdn' -d 'Print this host\'s name and fully qualified name as Python\'s socket.getfqdn() computes it.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" reverse' -l 'reverse' -d 'Look up the name of the address given (getnameinfo()): resolve --reverse ADDR.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" name-required' -l 'name-required' -d 'With --reverse: NI_NAMEREQD, fail when the address has no name.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" service' -l 'service' -d 'Look up a service by name in the services database (ssh, ssh/tcp).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" port' -l 'port' -d 'Look up a service by port (22, 22/tcp).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope resolve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" i interface' -s 'i' -l 'interface' -d 'Interface to capture on (default lo).' -rfka '(ls /sys/class/net)'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" r read' -s 'r' -l 'read' -d 'Read packets from this pcap or pcapng file instead of capturing (tcpdump -r).' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" c count' -s 'c' -l 'count' -d 'Stop after this many packets.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" duration' -l 'duration' -d 'Stop after this many seconds.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" pcap-out w' -s 'w' -l 'pcap-out' -d 'Also write the packets to this file: pcap, or pcapng with each packet\'s annotation for a .pcapng name.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" pcapng' -l 'pcapng' -d 'Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" tap-payload' -l 'tap-payload' -d 'Keep payload bytes in the capture, not just the headers.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" time' -l 'time' -d 'How each line\'s time is shown: relative (within its conversation, the default), none (tcpdump -t), epoch (seconds since 1970, -tt), delta (since the previous packet, -ttt), absolute (date and time, -tttt), start (since the first packet, -ttttt).' -rfka 'relative none epoch delta absolute start'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap"' -s 't' -d 'tcpdump\'s letters for --time: -t none, -tt epoch, -ttt delta, -tttt absolute, -ttttt start.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap"' -s 'n' -d 'Addresses and ports as numbers: what tap always shows (tcpdump -n, -nn).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" q' -s 'q' -d 'Shorter lines, as tcpdump -q: flags, length, states and notes, without seq, ack, window and options.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" wide' -l 'wide' -d 'Whole lines on a terminal too (without it the fields of a packet\'s line or a --summary row that do not fit its width go on lines under it; piped output is always whole).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" summary' -l 'summary' -d 'Print one row per TCP conversation and UDP flow at the end (packets, bytes, RTT, retransmissions, resets, final states) instead of each packet.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" diagram' -l 'diagram' -d 'Draw the conversation as a sequence (ladder) diagram in this SVG file: every segment an arrow, the TCP states on both lifelines.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" plot' -l 'plot' -d 'Draw the conversation\'s time-sequence graph (tcptrace) in this SVG file: sequence numbers over time, ACKs, window, retransmissions, SACK.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" conversation' -l 'conversation' -d 'Which TCP conversation --diagram and --plot draw, by its number in --summary (default 1, the first seen).' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope tap" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" t tcp' -s 't' -l 'tcp' -d 'TCP sockets (the default).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" u udp' -s 'u' -l 'udp' -d 'UDP sockets.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" unix x' -s 'x' -l 'unix' -d 'Unix-domain sockets.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" 4' -s '4' -d 'Use IPv4 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" 6' -s '6' -d 'Use IPv6 only.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" port' -l 'port' -d 'Only sockets with this local or remote port.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" state' -l 'state' -d 'Only sockets in this state.' -rfka 'listen established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait close-wait last-ack closing closed unconn'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" l listening' -s 'l' -l 'listening' -d 'Only listening sockets, as ss -l: TCP and Unix in LISTEN, UDP and Unix datagram sockets not connected.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" a all' -s 'a' -l 'all' -d 'Sockets in every state: what sockets lists unless -l or --state narrows it (ss lists only connections without -a).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" n numeric' -s 'n' -l 'numeric' -d 'Numeric addresses and ports: what sockets always shows (ss needs -n for it).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" wide' -l 'wide' -d 'Whole rows on a terminal too (without it a row\'s timer and process that do not fit its width go under it; piped output is always whole).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" p processes' -s 'p' -l 'processes' -d 'Show the processes that hold each socket (pid and command, as ss -p).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" pid' -l 'pid' -d 'Only sockets held by this process.' -rfka ''
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope sockets" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" 6' -s '6' -d 'Use ::1 instead of 127.0.0.1.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" json' -l 'json' -d 'Print JSON Lines (one object per result or event; see JSON in the manual).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" pcap-out' -l 'pcap-out' -d 'Also write the demo\'s packets to this file: pcap, or pcapng (a .pcapng name) where each packet\'s comment names the socket call that sent it and the states it caused.' -rF
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" pcapng' -l 'pcapng' -d 'Write --pcap-out as pcapng, each annotated packet with what the tap says of it as its comment (the default for a .pcapng name).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" diagram' -l 'diagram' -d 'Draw the conversation as a sequence (ladder) diagram in this SVG file: every segment an arrow, the TCP states on both lifelines.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" plot' -l 'plot' -d 'Draw the conversation\'s time-sequence graph (tcptrace) in this SVG file: sequence numbers over time, ACKs, window, retransmissions, SACK.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'svg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" no-packets' -l 'no-packets' -d 'Do not capture the packets (capturing needs CAP_NET_RAW; without it the demo says so and goes on).'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" tls' -l 'tls' -d 'Speak TLS over the connection (OpenSSL 3): the packets show the TLS records — ClientHello, ServerHello, encrypted data, close_notify.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" color' -l 'color' -d 'Colour the output: auto (only on a terminal, and not when NO_COLOR is set), always, never.' -rfka 'auto always never'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" version' -l 'version' -d 'Show the version.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope demo" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sockscope' -n '__sockscope_should_offer_completions_for_flags_or_options "sockscope help" version' -l 'version' -d 'Show the version.'
