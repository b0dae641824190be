// Drives a Stepline server with the AWS SDK for JavaScript v3, unchanged: one request per line
// on standard input ({"operation": "StartExecution", "params": {...}}), one answer per line on
// standard output ({"result": {...}} or {"error": {"code": ..., "message": ..., "status": ...}}).
// The endpoint is the first argument. disableHostPrefix: StartSyncExecution's "sync-" host
// prefix would not resolve on a local endpoint.
import * as readline from "node:readline";
import * as sfn from "@aws-sdk/client-sfn";

const client = new sfn.SFNClient({
  endpoint: process.argv[2],
  region: "us-east-1",
  credentials: { accessKeyId: "stepline", secretAccessKey: "stepline" },
  disableHostPrefix: true,
  maxAttempts: 1,
});

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const { operation, params } = JSON.parse(line);
  let answer;
  try {
    const { $metadata, ...result } = await client.send(new sfn[`${operation}Command`](params));
    answer = { result };
  } catch (error) {
    const status = error.$metadata ? error.$metadata.httpStatusCode : undefined;
    answer = { error: { code: error.name, message: error.message, status } };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
