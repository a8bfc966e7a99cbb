import Foundation
import Testing

/// The batch engines a scan's shards run on, for real: a Slurm cluster of one node (munged,
/// slurmctld and slurmd started here) runs deploy/slurm/probe-array.sh as a 4-task job
/// array, and deploy/kubernetes/probe-indexed-job.yaml's probe command runs as each of
/// its 4 indexes; `merge` of their outputs is the unsharded scan, every target × port once.
/// The targets are a /20 local in a network namespace of the test's own (AnyIP), with a
/// listener on port 80 of every address.
@Suite("deploy: Slurm job arrays and Kubernetes Indexed Jobs", .serialized)
struct DeployTests {
    /// A named network namespace with 10.79.0.0/20 local and port 80 listening; its
    /// set-up and clean-up lines for a script ($NS is its name).
    static let namespace = """
        NS=sockscope-deploy-$$
        cleanup_namespace() { [ -n "${listener:-}" ] && kill $listener 2>/dev/null; ip netns del $NS 2>/dev/null; }
        ip netns add $NS || exit 90
        ip -n $NS link set lo up && ip -n $NS route add local 10.79.0.0/20 dev lo || exit 90
        ip netns exec $NS "$PYTHON" "$LISTENERS" 80 > "$D/listener.out" & listener=$!
        for i in $(seq 100); do grep -q ready "$D/listener.out" && break; sleep 0.05; done
        """

    static func script(_ body: String, timeout: Duration = .seconds(240)) async throws -> (Outcome, String) {
        let directory = try TemporaryDirectory.make()
        let environment = "S=\(Paths.sockscope); D=\(directory); PYTHON=\(Paths.python); LISTENERS=\(Paths.peer("listeners.py")); ROOT=\(Paths.packageRoot)\n"
        let outcome = try await run(Paths.sh, ["-c", environment + namespace + "\n" + body], timeout: timeout)
        return (outcome, directory)
    }

    /// The port records of the unsharded scan and of `merge --json` of the parts, compared.
    static func expectWhole(_ directory: String, _ outcome: Outcome) throws {
        let whole = try ProbeScaleTests.states(directory + "/all.jsonl")
        let merged = try ProbeScaleTests.states(directory + "/merged.jsonl")
        #expect(whole.records == 4096 * 3 && whole.states.count == 4096 * 3, "\(whole.records) records: \(outcome)")
        #expect(merged.records == 4096 * 3, "every target × port once: \(merged.records) records")
        #expect(merged.states == whole.states, "the merged shards are the unsharded scan")
        #expect(whole.states.filter { $0.key.hasSuffix(" 80") }.allSatisfy { $0.value == "open" })
    }

    @Test(
        "Slurm: a 4-task job array of deploy/slurm/probe-array.sh (--shard auto) scans a /20 × 3 ports; merge of the tasks' JSON Lines and XML is the unsharded scan",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace and Slurm's daemons"),
        .enabled(if: Paths.slurm, "skipped: needs slurm-wlm and munge (make test installs them)"))
    func slurmArray() async throws {
        let body = #"""
            host=$(hostname -s)
            free() { for p in $(shuf -i 20000-29999 -n 50); do ss -Htan "sport = :$p" | grep -q . || { echo $p; return; }; done; }
            ctld=$(free); node=$(free); while [ "$node" = "$ctld" ]; do node=$(free); done
            mkdir -p "$D/state" "$D/spool" "$D/munge" "$D/results"
            cat > "$D/slurm.conf" <<EOF
            ClusterName=sockscope
            SlurmctldHost=$host(127.0.0.1)
            SlurmctldPort=$ctld
            SlurmdPort=$node
            AuthType=auth/munge
            AuthInfo=socket=$D/munge/munge.socket
            StateSaveLocation=$D/state
            SlurmdSpoolDir=$D/spool
            SlurmctldPidFile=$D/slurmctld.pid
            SlurmdPidFile=$D/slurmd.pid
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            MpiDefault=none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            ReturnToService=2
            SlurmUser=root
            SlurmdUser=root
            SlurmctldLogFile=$D/slurmctld.log
            SlurmdLogFile=$D/slurmd.log
            JobCompType=jobcomp/none
            AccountingStorageType=accounting_storage/none
            NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
            PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
            EOF
            export SLURM_CONF="$D/slurm.conf"
            munged -F --force --socket="$D/munge/munge.socket" --pid-file="$D/munge/munged.pid" --log-file="$D/munge/munged.log" \
              --seed-file="$D/munge/seed" --key-file=/etc/munge/munge.key & munge=$!
            for i in $(seq 100); do [ -S "$D/munge/munge.socket" ] && break; sleep 0.05; done
            slurmctld -D -c -f "$SLURM_CONF" & controller=$!
            slurmd -D -f "$SLURM_CONF" & daemon=$!
            trap 'kill $daemon $controller $munge 2>/dev/null; cleanup_namespace' EXIT
            for i in $(seq 200); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.1; done
            sinfo -h -o "node %t"
            # Each task's sockscope runs in the namespace that holds the targets.
            printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$S" > "$D/sockscope"; chmod +x "$D/sockscope"
            cd "$D"
            SOCKSCOPE="$D/sockscope" RESULTS="$D/results" SEED=11 timeout 120 sbatch --wait --array=0-3 \
              --output="$D/task-%a.log" "$ROOT/deploy/slurm/probe-array.sh" 10.79.0.0/20 22,80,443
            echo "sbatch=$?"
            ls "$D/results"
            ip netns exec $NS "$S" probe --json 10.79.0.0/20 22,80,443 > "$D/all.jsonl"
            "$S" merge --json "$D"/results/shard-*.jsonl > "$D/merged.jsonl"
            "$S" merge -oX "$D/merged.xml" "$D"/results/shard-*.xml > "$D/merged-xml.txt"
            echo "merge=$?"
            """#
        let (outcome, directory) = try await Self.script(body)
        #expect(outcome.stdoutText.hasPrefix("node idle\n") && outcome.stdoutText.contains("\nsbatch=0\n"), "\(outcome)")
        let parts = try FileManager.default.contentsOfDirectory(atPath: directory + "/results").sorted()
        #expect(parts.filter { $0.hasSuffix(".jsonl") } == (0...3).map { "shard-\($0).jsonl" }, "\(parts)")
        #expect(parts.filter { $0.hasSuffix(".state") }.count == 4)
        try Self.expectWhole(directory, outcome)
        // The tasks' XML files merged: one valid document, every host once with all three ports.
        #expect(outcome.stdoutText.contains("merge=0"))
        let valid = try await run(Paths.xmllint, ["--noout", "--dtdvalid", ProbeNmapOutputTests.dtd, directory + "/merged.xml"])
        #expect(valid.status == 0, "\(valid)")
        let summary = try String(contentsOfFile: directory + "/merged-xml.txt", encoding: .utf8)
        #expect(summary.contains("12288 ports of 4096 hosts from 4 files: 4096 open, 8192 closed"), "\(summary.suffix(300))")
    }

    @Test(
        "Kubernetes: the Indexed Job's probe command, run as each of its 4 indexes (JOB_COMPLETION_INDEX, --shard auto/4, its ConfigMap's files), merged, is the unsharded scan; the manifest parses",
        .enabled(if: Paths.isRoot, "skipped: needs root for a network namespace"))
    func kubernetesIndexedJob() async throws {
        // The manifest's container command, with its volumes moved to the test's folder.
        let manifest = try String(contentsOfFile: Paths.packageRoot + "/deploy/kubernetes/probe-indexed-job.yaml", encoding: .utf8)
        let extract = """
            import sys, yaml
            docs = list(yaml.safe_load_all(open(sys.argv[1])))
            kinds = [d["kind"] for d in docs]
            assert kinds == ["ConfigMap", "PersistentVolumeClaim", "Job"], kinds
            job = docs[2]["spec"]
            assert job["completionMode"] == "Indexed" and job["completions"] == 4
            print(job["template"]["spec"]["containers"][0]["args"][0])
            """
        let command = try await run(Paths.python, ["-c", extract, Paths.packageRoot + "/deploy/kubernetes/probe-indexed-job.yaml"])
        #expect(command.status == 0 && manifest.contains("--shard auto/4"), "\(command)")
        let container = command.stdoutText.replacingOccurrences(of: "/config/", with: "$D/config/").replacingOccurrences(of: "/results/", with: "$D/results/")
        let body = """
            trap cleanup_namespace EXIT
            mkdir -p "$D/config" "$D/results"
            printf '# the test namespace\\n10.79.0.0/20\\n' > "$D/config/targets.txt"; printf '22,80,443' > "$D/config/ports"; printf 7 > "$D/config/seed"
            printf '#!/bin/sh\\nexec ip netns exec %s %s "$@"\\n' "$NS" "$S" > "$D/sockscope"; chmod +x "$D/sockscope"
            mkdir -p "$D/bin"; ln -s "$D/sockscope" "$D/bin/sockscope"
            for index in 0 1 2 3; do
              D="$D" PATH="$D/bin:$PATH" JOB_COMPLETION_INDEX=$index sh -c '\(container.replacingOccurrences(of: "'", with: "'\\''"))'; echo "index $index: $?"
            done
            ip netns exec $NS "$S" probe --json 10.79.0.0/20 22,80,443 > "$D/all.jsonl"
            "$S" merge --json "$D"/results/shard-*.jsonl > "$D/merged.jsonl"
            """
        let (outcome, directory) = try await Self.script(body)
        #expect(outcome.stdoutText.contains("index 0: 0\nindex 1: 0\nindex 2: 0\nindex 3: 0\n"), "\(outcome)")
        try Self.expectWhole(directory, outcome)
    }
}
