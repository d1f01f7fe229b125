// The floor of the throughput figures: what Node needs just to read an event file and parse it.
//   node bench/parse-floor.mjs FILE          read it whole and JSON.parse it (a JSON document)
//   node bench/parse-floor.mjs FILE --ndjson read it line by line, JSON.parse each (streaming)
// Prints the number of events parsed, so the work cannot be optimised away.
import { createReadStream, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'

const [file, mode] = process.argv.slice(2)
let count = 0
if (mode === '--ndjson') {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  for await (const line of lines) {
    if (line.trim() !== '') {
      JSON.parse(line)
      count++
    }
  }
} else {
  const value = JSON.parse(readFileSync(file, 'utf8'))
  count = Array.isArray(value.items) ? value.items.length : 1
}
process.stdout.write(`${count}\n`)
