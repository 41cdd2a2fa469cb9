/** Progress for long work: a bar redrawn in place on a TTY, a plain line every tenth otherwise. */
interface Progress {
  update(label: string, done: number, total: number): void;
  done(message?: string): void;
}

export function progressTo(
  stream: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean },
): Progress {
  const tty = Boolean((stream as { isTTY?: boolean }).isTTY);
  let lastTenth = -1;
  let lastLabel = '';
  return {
    update(label, done, total) {
      if (tty) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
        return;
      }
      const tenth = Math.floor((done / total) * 10);
      if (label !== lastLabel || tenth !== lastTenth || done === total) {
        if (label !== lastLabel || tenth > lastTenth) stream.write(`${label}: ${done}/${total}\n`);
        lastLabel = label;
        lastTenth = tenth;
      }
    },
    done(message) {
      if (tty) stream.write('\r\x1b[K');
      if (message) stream.write(`${message}\n`);
      lastTenth = -1;
      lastLabel = '';
    },
  };
}
