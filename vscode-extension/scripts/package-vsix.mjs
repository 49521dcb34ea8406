// Packs the built extension into dist/codeyard.vsix (a zip: extension.vsixmanifest,
// [Content_Types].xml and extension/…), without @vscode/vsce: yazl writes the zip.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** The manifest VS Code reads: the workspace's package.json without npm-only fields, named as the extension. */
function extensionManifest(source) {
  const { vsixName, devDependencies: _dev, dependencies: _deps, scripts: _scripts, private: _private, type: _type, ...rest } = source;
  return { ...rest, name: vsixName };
}

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const manifest = extensionManifest(pkg);
const files = [
  ['extension/package.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`)],
  ['extension/dist/extension.js', fs.readFileSync(path.join(root, 'dist', 'extension.js'))],
  ['extension/README.md', fs.readFileSync(path.join(root, 'README.md'))],
];

const vsixManifest = `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${escape(manifest.name)}" Version="${escape(manifest.version)}" Publisher="${escape(manifest.publisher)}" />
    <DisplayName>${escape(manifest.displayName)}</DisplayName>
    <Description xml:space="preserve">${escape(manifest.description)}</Description>
    <Tags></Tags>
    <Categories>${escape((manifest.categories ?? []).join(','))}</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${escape(manifest.engines.vscode)}" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionDependencies" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionPack" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="workspace" />
      <Property Id="Microsoft.VisualStudio.Code.LocalizedLanguages" Value="" />
    </Properties>
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code" />
  </Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true" />
  </Assets>
</PackageManifest>
`;

const contentTypes = `<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json" />
  <Default Extension=".js" ContentType="application/javascript" />
  <Default Extension=".md" ContentType="text/markdown" />
  <Default Extension=".vsixmanifest" ContentType="text/xml" />
</Types>
`;

const out = path.join(root, 'dist', 'codeyard.vsix');
const zip = new yazl.ZipFile();
// A fixed date: the same build gives the same bytes (the runtime keys its unpacked copy on them).
const mtime = new Date('2020-01-01T00:00:00Z');
zip.addBuffer(Buffer.from(vsixManifest), 'extension.vsixmanifest', { mtime });
zip.addBuffer(Buffer.from(contentTypes), '[Content_Types].xml', { mtime });
for (const [name, data] of files) zip.addBuffer(data, name, { mtime });
zip.end();
const tmp = `${out}.tmp`;
await new Promise((resolve, reject) => {
  zip.outputStream.pipe(fs.createWriteStream(tmp)).on('close', resolve).on('error', reject);
});
fs.renameSync(tmp, out);
