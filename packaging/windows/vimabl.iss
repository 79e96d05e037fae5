; Inno Setup script: a per-user install of VimAbl (no administrator rights).
; Built by the release workflow on a Windows runner:
;   iscc /DAppVersion=0.1.0 /DExe=..\..\dist\vimabl-0.1.0-windows-amd64.exe packaging\windows\vimabl.iss

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef Exe
  #define Exe "..\..\dist\vimabl.exe"
#endif

[Setup]
AppId={{6B1C5C2E-8E0B-4C3F-9E7A-56D1A7C0B2F4}
AppName=VimAbl
AppVersion={#AppVersion}
AppPublisher=VimAbl
DefaultDirName={localappdata}\Programs\VimAbl
DefaultGroupName=VimAbl
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=VimAbl-{#AppVersion}-setup
SetupIconFile=..\..\icons\vimabl.ico
UninstallDisplayIcon={app}\vimabl.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible

[Tasks]
Name: "startatlogin"; Description: "Start VimAbl when I log in"; GroupDescription: "Options:"

[Files]
Source: "{#Exe}"; DestDir: "{app}"; DestName: "vimabl.exe"; Flags: ignoreversion

[Icons]
Name: "{userprograms}\VimAbl"; Filename: "{app}\vimabl.exe"
Name: "{userprograms}\Uninstall VimAbl"; Filename: "{uninstallexe}"

[Registry]
; The same value the tray's "Start at Login" item writes (package autostart).
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "VimAbl"; ValueData: """{app}\vimabl.exe"""; Flags: uninsdeletevalue; Tasks: startatlogin

[UninstallDelete]
; Only our own folder. The Remote Script in Live's User Library stays: remove it
; first with "vimabl uninstall" if you want it gone.
Type: dirifempty; Name: "{app}"

[Run]
Filename: "{app}\vimabl.exe"; Description: "Start VimAbl now"; Flags: nowait postinstall skipifsilent
