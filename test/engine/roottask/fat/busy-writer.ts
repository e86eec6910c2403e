// Child process of the crash test: changes a writable FAT image and commits as fast as it can until it is killed.
// Each commit rewrites thousands of sectors (a 1 MB file's data, FAT copies, directories), so a kill lands inside one.
import { imageDiskIo } from "../../../../engine/roottask/fat/disk.ts";
import { FatVolume } from "../../../../engine/roottask/fat/volume.ts";

const [image, round] = process.argv.slice(2);
const v = new FatVolume(imageDiskIo(image, true), true, () => Date.UTC(2024, 0, 1) * 1e6);
const w = v.writer!;
process.stdout.write("open\n");
for (let i = 0; ; i++) {
  const name = `/round ${round} file ${i % 4} with a long name.bin`;
  if (i % 3 === 0) w.unlink(name);
  else {
    w.create(name);
    w.write(name, (i * 4096) % 50000, new Uint8Array((1 << 20) + i * 13).fill(i & 0xff));
  }
  if (i % 5 === 0) w.mkdir(`/dir ${round} ${i}`);
  if (i % 5 === 2) w.rmdir(`/dir ${round} ${i - 2}`);
  w.sync();
}
