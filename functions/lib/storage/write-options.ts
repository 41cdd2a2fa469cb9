/** How an object is written, whatever the storage. */
export interface WriteOptions {
  contentType?: string;
  /** S3 object tags (lifecycle rules select by them); local files have none. */
  tags?: Record<string, string>;
}
