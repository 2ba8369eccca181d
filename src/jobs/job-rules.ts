/**
 * Spec §8: files under one of the project's attachment folders (`project_details.attachment_dirs`,
 * default DCIM) are photos and the like; uploading them does not make the project worth processing.
 */
export function isUnderAttachmentDir(path: string, attachmentDirs: string[]): boolean {
  return attachmentDirs.some((dir) => {
    const folder = dir.replace(/^\/+|\/+$/g, '');
    return folder !== '' && path.startsWith(`${folder}/`);
  });
}
