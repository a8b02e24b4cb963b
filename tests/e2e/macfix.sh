# shellcheck shell=bash
# Offline macOS roots for end-to-end tests: property lists written as XML and, for
# the binary form, converted by libplist's plistutil. Needs lib.sh's $T.
#
#   plist FILE FORM        the XML dict on stdin as FILE (FORM xml or bin)
#   info BUNDLE FORM ID VERSION NAME EXEC, job FILE FORM LABEL DISABLED PROG ARGS...,
#   receipt ROOT FORM ID VERSION, sysver ROOT FORM VERSION
#   build_kes_macos DIR    Kaspersky Anti-Virus for Mac 21 with Network Agent: apps,
#                          launchd jobs, a kext, receipts, Application Support
#                          and ByHost preferences of anna named after the hardware UUID
#                          $MAC_UUID (the machine id, host_macos.c; no private/var/root:
#                          var/ is the root's real folder, as the tests' plans expect)
#   KAV, NAG               the daemons' paths inside that root
KAV="/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav"
NAG="/Library/Application Support/Kaspersky Lab/klnagent/Binaries/klnagent"
MAC_UUID=3F2504E0-4F89-41D3-9A0C-0305E82C3301
# plist FILE FORM: the XML on stdin written to FILE, as is (xml) or converted (bin).
plist() {
	local f=$1 form=$2
	mkdir -p "$(dirname "$f")"
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">'
		echo '<plist version="1.0">'
		cat
		echo '</plist>'
	} >"$f.xml"
	if [ "$form" = bin ]; then
		plistutil -i "$f.xml" -o "$f" -f bin
		rm "$f.xml"
		head -c 8 "$f" | grep -q bplist00 || echo "# $f is not binary"
	else
		mv "$f.xml" "$f"
	fi
}
# info BUNDLE FORM ID VERSION NAME EXEC
info() {
	plist "$1/Contents/Info.plist" "$2" <<EOF
<dict>
	<key>CFBundleIdentifier</key><string>$3</string>
	<key>CFBundleShortVersionString</key><string>$4</string>
	<key>CFBundleVersion</key><string>$4.100</string>
	<key>CFBundleName</key><string>$5</string>
	<key>CFBundleExecutable</key><string>$6</string>
	<key>CFBundlePackageType</key><string>APPL</string>
</dict>
EOF
	mkdir -p "$1/Contents/MacOS"
	printf 'x' >"$1/Contents/MacOS/$6"
}
# job FILE FORM LABEL [DISABLED] PROGRAM ARGS...: a launchd job with ProgramArguments
job() {
	local f=$1 form=$2 label=$3 dis=$4
	shift 4
	{
		echo "<dict><key>Label</key><string>$label</string>"
		[ "$dis" = "-" ] || echo "<key>Disabled</key><$dis/>"
		echo "<key>ProgramArguments</key><array>"
		for a in "$@"; do echo "<string>$a</string>"; done
		echo "</array><key>RunAtLoad</key><true/><key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict></dict>"
	} | plist "$f" "$form"
}
# receipt ROOT FORM ID VERSION
receipt() {
	plist "$1/var/db/receipts/$3.plist" "$2" <<EOF
<dict>
	<key>PackageIdentifier</key><string>$3</string>
	<key>PackageVersion</key><string>$4</string>
	<key>InstallDate</key><date>2024-03-01T10:20:30Z</date>
	<key>InstallPrefixPath</key><string>/</string>
	<key>InstallProcessName</key><string>installer</string>
	<key>PackageFileName</key><string>kav.pkg</string>
</dict>
EOF
	printf 'BOMStore' >"$1/var/db/receipts/$3.bom"
}
sysver() {
	plist "$1/System/Library/CoreServices/SystemVersion.plist" "$2" <<EOF
<dict>
	<key>ProductBuildVersion</key><string>23E224</string>
	<key>ProductName</key><string>macOS</string>
	<key>ProductVersion</key><string>$3</string>
</dict>
EOF
}

# build_kes_macos DIR: see the top of this file.
build_kes_macos() {
	local R=$1
	sysver "$R" xml 14.4.1
	plist "$R/Library/Preferences/SystemConfiguration/preferences.plist" bin <<'EOF'
<dict><key>System</key><dict><key>System</key><dict>
	<key>ComputerName</key><string>Finance Mac 07</string></dict></dict></dict>
EOF
	APP="$R/Applications/Kaspersky Anti-Virus For Mac.app"
	info "$APP" bin com.kaspersky.kav 21.0.12 "Kaspersky Anti-Virus For Mac" kav_app
	info "$APP/Contents/Library/LoginItems/kav_agent.app" xml com.kaspersky.kav_agent 21.0.12 \
		"Kaspersky Agent" kav_agent
	info "$APP/Contents/Library/SystemExtensions/com.kaspersky.kav.sysext.systemextension" bin \
		com.kaspersky.kav.sysext 21.0.12 "Kaspersky Filter" com.kaspersky.kav.sysext
	info "$R/Applications/Utilities/Keka.app" xml com.aone.keka 1.3.6 Keka Keka
	mkdir -p "$R$(dirname "$KAV")" "$R$(dirname "$NAG")"
	printf 'x' >"$R$KAV"
	printf 'x' >"$R$NAG"
	job "$R/Library/LaunchDaemons/com.kaspersky.kav.plist" bin com.kaspersky.kav false "$KAV" -d
	job "$R/Library/LaunchDaemons/com.kaspersky.klnagent.plist" xml com.kaspersky.klnagent - "$NAG" \
		--daemon
	plist "$R/Library/LaunchAgents/com.kaspersky.kav.gui.plist" xml <<'EOF'
<dict><key>Label</key><string>com.kaspersky.kav.gui</string>
<key>Program</key><string>/Applications/Kaspersky Anti-Virus For Mac.app/Contents/MacOS/kav_app</string>
<key>LimitLoadToSessionType</key><string>Aqua</string></dict>
EOF
	job "$R/Library/LaunchDaemons/com.apple.fake.plist" xml com.apple.fake - /usr/libexec/fake
	info "$R/Library/Extensions/klif.kext" bin com.kaspersky.kext.klif 21.0.12 klif klif
	info "$R/Library/Extensions/Other.kext" xml com.example.driver 1.0 Other Other
	for id in com.kaspersky.kav.core com.kaspersky.kav.oas; do receipt "$R" bin $id 21.0.12.340; done
	receipt "$R" xml com.kaspersky.kav.wksconnector 14.0.0.1234
	receipt "$R" xml com.apple.pkg.XProtectPayloads 2180
	mkdir -p "$R/Library/Receipts/Kaspersky Network Agent.pkg/Contents"
	mkdir -p "$R/Library/Logs/Kaspersky Lab"
	byhost "$R/Users/anna" com.apple.screensaver bin
	byhost "$R/Users/anna" .GlobalPreferences xml
}
# byhost HOME DOMAIN FORM [UUID]: HOME's per-host preference DOMAIN, named after UUID
# ($MAC_UUID) as CoreFoundation names it.
byhost() {
	plist "$1/Library/Preferences/ByHost/$2.${4:-$MAC_UUID}.plist" "$3" <<<'<dict><key>idleTime</key><integer>300</integer></dict>'
}
