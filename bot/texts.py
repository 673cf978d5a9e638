"""Texts the bot itself writes to applicants (Indonesian); Rasa writes the knowledge answers."""

from __future__ import annotations

from core.facts import text

# Programme facts (URLs, digit counts) come from core/facts.py; tests/core/test_facts_guard.py
# fails on a number or URL typed into these texts. Format placeholders ({name}) stay as they are.
_SITUS = text("url.situs")
_DASHBOARD = text("url.dashboard")
_BANTUAN = text("url.bantuan")
_INFO_EMAIL = text("email.info")
_NIK_DIGITS = text("digit.nik")

START = (
    "Halo{name}! 👋 Saya <b>Asisten Prakerja</b>, asisten virtual untuk pertanyaan seputar "
    "Kartu Prakerja.\n\n"
    "Saya bisa membantu:\n"
    "• jadwal gelombang yang sedang atau akan dibuka\n"
    "• syarat, cara daftar, dan tes kemampuan dasar\n"
    "• bedanya skema normal dengan skema semi-bansos\n"
    "• insentif, pembelian pelatihan, dan sertifikat\n"
    "• masalah akun: email, OTP, NIK/KK, verifikasi wajah\n"
    "• cek status kepesertaanmu (setelah verifikasi)\n"
    "• kabar gelombang baru lewat langganan\n\n"
    "Tulis saja pertanyaanmu dengan bahasa sehari-hari, misalnya: "
    '<i>"gelombang brp yg lg buka?"</i>\n\n'
    f"Ingat: pendaftaran resmi hanya di {_SITUS}. Jangan pernah memberikan kode OTP, "
    "kata sandi, atau nomor Kartu Prakerja kepada siapa pun."
)

HELP = (
    "<b>Yang bisa saya bantu</b>\n"
    "Tanyakan apa saja tentang Kartu Prakerja: syarat, cara daftar, jadwal gelombang, "
    "pengumuman, insentif, pelatihan, sertifikat, atau masalah akun.\n\n"
    "<b>Perintah</b>\n"
    "/start – mulai dan lihat topik populer\n"
    "/bantuan – daftar ini\n"
    "/status – cek status kepesertaanmu (perlu verifikasi)\n"
    "/langganan – dapat kabar saat gelombang baru dibuka\n"
    "/berhenti – berhenti langganan kabar\n"
    "/lupakan – hapus verifikasi status dari bot ini\n"
    "/privasi – cara bot ini menjaga datamu\n"
    "/petugas – bicara dengan petugas\n"
    "/selesai – akhiri percakapan dengan petugas\n\n"
    "Saya asisten tidak resmi yang menjawab dari informasi publik. Untuk urusan akun yang tidak "
    f"bisa saya bantu, gunakan Formulir Pengaduan di {_BANTUAN}."
)

PRIVACY = (
    "<b>Privasi</b>\n"
    "• NIK dan nomor HP hanya dipakai sekali untuk mencocokkan data saat cek status, lalu tidak "
    "disimpan. Kalau kamu mengetiknya di chat biasa, angkanya saya sembunyikan dan pesannya saya "
    "hapus.\n"
    "• Setelah cek status, bot menyimpan kode rujukan acak selama {window} menit supaya kamu bisa "
    "cek ulang tanpa NIK.\n"
    "• Bot menyimpan ID Telegram-mu, kapan terakhir menulis, bahasa, dan pilihan langganan. Akun "
    "yang tidak menulis selama {days} hari dan tidak berlangganan dihapus otomatis.\n"
    "• Riwayat percakapan dengan asisten (tanpa NIK/nomor HP) disimpan paling lama {days} hari "
    "untuk menjawab dengan nyambung, lalu dihapus otomatis.\n"
    "• Catatan percobaan verifikasi (berhasil/gagal, tanpa data pribadi) disimpan {days} hari "
    "untuk mencegah penyalahgunaan.\n"
    "• Status kepesertaan hanya ditampilkan di chat pribadi akun Telegram yang memverifikasinya.\n"
    "• /lupakan menghapus verifikasi dan riwayat percakapanmu sekarang juga; /berhenti "
    "menghentikan langganan."
)

TOPIC_BUTTONS = (
    ("Syarat ikut Prakerja", "/ask_requirements"),
    ("Cara daftar", "/ask_registration"),
    ("Jadwal gelombang", "/ask_batch_schedule"),
    ("Cek status saya", "/check_status"),
)

RASA_DOWN = (
    "Maaf, asisten sedang mengalami gangguan sehingga belum bisa menjawab. 🙏\n"
    "Silakan coba lagi beberapa saat lagi. Informasi resmi tetap bisa dilihat di "
    f"{_SITUS}."
)

NO_ANSWER = (
    "Maaf, saya belum bisa menjawab itu sekarang. 🙏 Coba tanyakan dengan kalimat lain atau coba "
    f"lagi sebentar lagi. Informasi resmi ada di {_SITUS}."
)

UNEXPECTED_ERROR = (
    "Maaf, terjadi kesalahan saat memproses pesanmu. 🙏 Silakan coba lagi, atau ketik /bantuan."
)

UNKNOWN_COMMAND = (
    "Maaf, perintah itu tidak saya kenal. Ketik /bantuan untuk melihat daftar perintah."
)

EXPIRED_BUTTON = "Tombol ini sudah tidak berlaku. Silakan ketik pertanyaanmu."

EDITED_MESSAGE = (
    "Saya hanya membaca pesan baru, bukan pesan yang diedit. Kirim ulang pertanyaanmu sebagai "
    "pesan baru ya."
)

GROUP_CHAT = (
    "Halo! Saya melayani pertanyaan Kartu Prakerja lewat chat pribadi. "
    "Silakan buka chat langsung dengan saya."
)

ID_REDACTED = (
    "Demi keamanan, NIK, nomor HP, atau nomor panjang lain di pesanmu sudah saya sembunyikan "
    "dan pesannya saya hapus dari chat. Jangan bagikan data pribadi di chat ya; untuk cek "
    "status, ketik /status."
)

UNSUPPORTED_KIND = {
    "sticker": "Stikernya lucu! 😄",
    "animation": "GIF-nya seru! 😄",
    "photo": "Terima kasih fotonya.",
    "video": "Terima kasih videonya.",
    "video_note": "Terima kasih pesan videonya.",
    "voice": "Terima kasih pesan suaranya.",
    "audio": "Terima kasih audionya.",
    "document": "Terima kasih dokumennya.",
    "location": "Terima kasih lokasinya.",
    "venue": "Terima kasih lokasinya.",
    "contact": "Terima kasih kontaknya.",
    "poll": "Terima kasih polingnya.",
    "dice": "🎲",
}
UNSUPPORTED_TAIL = (
    " Tapi saya hanya bisa membaca pesan teks. Tulis pertanyaanmu tentang Kartu Prakerja, "
    'misalnya "syarat daftar prakerja apa aja?", atau ketik /bantuan.'
)
CONTACT_NOT_NEEDED = (
    "Terima kasih, tapi saya hanya memerlukan nomor HP saat kamu cek status. Ketik /status "
    "kalau ingin cek status kepesertaanmu."
)

EMPTY_MESSAGE = "Pesannya kosong. Tulis pertanyaanmu tentang Kartu Prakerja, atau ketik /bantuan."

SLOW_DOWN = (
    "Pelan-pelan ya 🙏 Pesanmu datang terlalu cepat, jadi sebagian belum saya baca. Tunggu "
    "sebentar, lalu kirim lagi pertanyaanmu satu per satu."
)

# --- subscription (the bot's own database, never decided by Rasa alone) ---------------------

SUBSCRIBED = (
    "Siap! Kamu akan dapat kabar saat gelombang baru dibuka dan info penting Kartu Prakerja. "
    "Untuk berhenti, ketik /berhenti."
)
ALREADY_SUBSCRIBED = (
    "Kamu sudah berlangganan kabar gelombang baru. Untuk berhenti, ketik /berhenti."
)
UNSUBSCRIBED = (
    "Oke, langganan kabar gelombang sudah dihentikan. Mau berlangganan lagi? Ketik /langganan "
    "kapan saja."
)
NOT_SUBSCRIBED = (
    "Kamu sedang tidak berlangganan. Untuk dapat kabar gelombang baru, ketik /langganan."
)
CONFIRM_SUBSCRIBE = "Mau saya kabari setiap ada gelombang baru dan info penting Kartu Prakerja?"
CONFIRM_UNSUBSCRIBE = "Mau berhenti menerima kabar gelombang baru dari saya?"
BUTTON_SUBSCRIBE = "Ya, kabari saya"
BUTTON_UNSUBSCRIBE = "Ya, berhenti"
BUTTON_KEEP = "Tidak jadi"
KEPT_AS_IS = "Oke, tidak ada yang saya ubah."
STORAGE_DOWN = (
    "Maaf, pilihanmu belum bisa saya simpan karena ada gangguan. 🙏 Coba lagi beberapa saat lagi."
)

# --- forgetting (/lupakan) ----------------------------------------------------------------

FORGOTTEN = (
    "Sudah saya hapus:\n"
    "• verifikasi status{verification}\n"
    "• riwayat percakapanmu dengan asisten{conversation}\n"
    "Langgananmu tidak berubah (ketik /berhenti untuk berhenti). Untuk cek status lagi, ketik "
    "/status."
)
FORGOTTEN_NO_VERIFICATION = " (tidak ada yang tersimpan)"
FORGOTTEN_EVENTS = " ({count} catatan)"
FORGET_CONVERSATION_FAILED = (
    "Verifikasi status sudah saya hapus, tapi riwayat percakapan belum bisa dihapus sekarang "
    "karena ada gangguan. 🙏 Coba /lupakan lagi sebentar lagi; riwayat juga terhapus otomatis "
    "setelah {days} hari."
)

# --- identity check before a status lookup ------------------------------------------------

SHARE_BUTTON = "📱 Bagikan nomor HP saya"
CANCEL_BUTTON = "Batal"
ASK_CONTACT = (
    "Untuk cek status, saya perlu memastikan ini benar kamu. 🔒\n\n"
    "1. Tekan tombol <b>📱 Bagikan nomor HP saya</b> di bawah. Nomornya harus sama dengan nomor "
    "HP di akun Prakerja-mu.\n"
    f"2. Setelah itu, ketik {_NIK_DIGITS} NIK sesuai e-KTP.\n\n"
    "NIK dan nomor HP hanya dipakai untuk mencocokkan data, tidak disimpan."
)
ASK_NIK = (
    "Terima kasih, nomor HP sudah saya terima. Sekarang ketik "
    f"<b>{_NIK_DIGITS} NIK</b> sesuai e-KTP (boleh pakai spasi). Ketik <i>batal</i> untuk "
    "membatalkan."
)
NOT_OWN_CONTACT = (
    "Maaf, saya hanya bisa memakai nomor HP milik akun Telegram-mu sendiri, yang dibagikan lewat "
    "tombol <b>📱 Bagikan nomor HP saya</b>. Kontak orang lain atau kontak yang diteruskan tidak "
    "bisa dipakai."
)
NOT_INDONESIAN_PHONE = (
    "Maaf, saya hanya bisa mencocokkan nomor HP Indonesia, dan nomor ini bukan nomor Indonesia. "
    f"Status kepesertaanmu tetap bisa dilihat langsung di {_DASHBOARD}."
)
TYPE_NOT_SHARE = (
    "Nomor HP tidak bisa diketik manual. Tekan tombol <b>📱 Bagikan nomor HP saya</b>, "
    "atau ketik <i>batal</i>."
)
BAD_NIK = (
    "{problem} Coba ketik lagi " + _NIK_DIGITS + " NIK sesuai e-KTP, atau ketik <i>batal</i>."
)
NO_MATCH = (
    "Maaf, data yang kamu masukkan tidak cocok dengan data pendaftar Prakerja. Periksa lagi NIK "
    "sesuai e-KTP dan pastikan nomor HP Telegram-mu sama dengan nomor di akun Prakerja. "
    "Sisa percobaan: {left} kali."
)
TOO_MANY = (
    "Demi keamanan, cek status dari akun Telegram ini dikunci sementara karena sudah {limit} kali "
    "gagal. Silakan coba lagi setelah {when}. Status juga bisa dilihat langsung di "
    + _DASHBOARD
    + "."
)
API_DOWN = (
    "Maaf, layanan data Prakerja sedang tidak bisa dihubungi, jadi status belum bisa dicek. 🙏 "
    f"Coba lagi beberapa saat lagi dengan /status, atau lihat langsung di {_DASHBOARD}."
)
CONTACT_FIRST = (
    "Sebelum NIK, bagikan dulu nomor HP-mu lewat tombol <b>📱 Bagikan nomor HP saya</b> di bawah, "
    "atau ketik <i>batal</i>."
)
CANCELLED = "Oke, cek status dibatalkan. Ada lagi yang bisa saya bantu?"
EXPIRED = "Waktu verifikasi habis. Ketik /status untuk mengulang."

# --- the command menu and the bot's profile (published at start-up) -------------------------

MENU_COMMANDS = (
    ("start", "Mulai dan lihat topik populer"),
    ("bantuan", "Apa saja yang bisa dibantu"),
    ("status", "Cek status kepesertaan (perlu verifikasi)"),
    ("langganan", "Kabari saya saat gelombang baru dibuka"),
    ("berhenti", "Berhenti langganan kabar gelombang"),
    ("lupakan", "Hapus verifikasi dan riwayat percakapan"),
    ("privasi", "Cara bot ini menjaga datamu"),
    ("petugas", "Bicara dengan petugas"),
    ("selesai", "Akhiri percakapan dengan petugas"),
)
BOT_DESCRIPTION = (
    "Asisten Prakerja menjawab pertanyaan seputar Kartu Prakerja: jadwal gelombang, syarat, cara "
    "daftar, insentif, pelatihan, dan status kepesertaan. Asisten tidak resmi; pendaftaran hanya "
    f"di {_SITUS}."
)
BOT_SHORT_DESCRIPTION = "Tanya jawab Kartu Prakerja: gelombang, syarat, daftar, insentif, status."
CONTACT_PLACEHOLDER = "Bagikan nomor HP untuk cek status"

# --- hand-off to staff (tickets) ------------------------------------------------------------

TICKET_OPENED = (
    "Baik, saya sambungkan ke petugas. 🙋\n"
    "Nomor tiketmu: <b>#{number}</b>\n"
    "Kamu di antrean ke-{position}.\n"
    "{duty}\n\n"
    "Tulis saja pertanyaanmu di sini; foto atau dokumen juga boleh. Semua pesanmu sekarang "
    "diteruskan ke petugas, bukan ke asisten. Jangan kirim OTP atau kata sandi.\n"
    "Ketik /selesai untuk mengakhiri percakapan dengan petugas."
)
STAFF_ON_DUTY = "Petugas sedang bertugas sekarang, mohon tunggu sebentar ya."
STAFF_OFF_DUTY = "Petugas sedang di luar jam kerja dan akan membalas mulai {when}."
STAFF_OFF_DUTY_UNKNOWN = "Petugas sedang di luar jam kerja dan akan membalas secepatnya."
TICKET_STILL_OPEN = (
    "Tiketmu <b>#{number}</b> masih terbuka, jadi pesanmu sudah langsung diteruskan ke petugas. "
    "Ketik /selesai kalau sudah tidak perlu."
)
HANDOFF_UNAVAILABLE = (
    "Maaf, saat ini belum bisa menyambungkan ke petugas lewat chat ini. 🙏 Petugas resmi "
    "Prakerja bisa dihubungi lewat:\n"
    f"• Formulir Pengaduan: {_BANTUAN}\n"
    f"• Email: {_INFO_EMAIL}\n"
    "Sertakan NIK dan nomor HP hanya di saluran resmi itu. Jangan bagikan OTP atau kata sandi."
)
TICKET_ID_REDACTED = (
    "Demi keamanan, NIK, nomor HP, atau nomor panjang di pesanmu sudah saya sembunyikan sebelum "
    "diteruskan ke petugas, dan pesannya saya hapus dari chat."
)
TICKET_STILL_WAITING = (
    "Tiketmu <b>#{number}</b> masih menunggu petugas (antrean ke-{position}). Terima kasih sudah "
    "sabar menunggu. {duty}"
)
TICKET_BUTTON_BUSY = "Tiketmu dengan petugas masih terbuka. Tulis pesanmu, atau ketik /selesai."
NO_OPEN_TICKET = "Kamu sedang tidak terhubung dengan petugas. Ada yang bisa saya bantu?"
TICKET_CLOSED_BY_STAFF = (
    "Petugas sudah menutup tiket <b>#{number}</b>. Terima kasih sudah menghubungi kami!"
)
TICKET_CLOSED_BY_APPLICANT = "Oke, tiket <b>#{number}</b> sudah ditutup. Terima kasih!"
RATE_QUESTION = (
    "Seberapa membantu layanan petugas tadi? Pilih {worst} (kurang) sampai {best} (sangat "
    "membantu). Setelah ini kamu bisa bertanya ke asisten seperti biasa."
)
RATE_THANKS = (
    "Terima kasih atas nilainya ({score}/{best})! ⭐ Kalau mau, tulis satu pesan komentar "
    "sekarang (opsional), atau tekan <b>Lewati</b>."
)
RATE_SKIP_BUTTON = "Lewati"
RATE_ALREADY = "Nilai untuk tiket ini sudah tersimpan. Terima kasih!"
COMMENT_THANKS = (
    "Komentarmu sudah saya sampaikan ke tim. Terima kasih! Ada lagi yang bisa saya bantu?"
)
COMMENT_SKIPPED = "Baik. Ada lagi yang bisa saya bantu?"

# --- staff group (read by staff; Indonesian too) --------------------------------------------

CARD = (
    "🎫 <b>Tiket #{number}</b>\n"
    "Topik: {topic}\n"
    "Dibuka: {opened}\n"
    "Pelamar: {name} ({verified})\n"
    "Status: {status}\n\n"
    "<b>Percakapan terakhir dengan asisten</b>\n{transcript}"
)
CARD_VERIFIED = "sudah verifikasi"
CARD_UNVERIFIED = "belum verifikasi"
CARD_UNCLAIMED = "menunggu diambil"
CARD_CLAIMED = "diambil oleh {name}"
CARD_CLOSED = "ditutup"
CARD_NO_TRANSCRIPT = "(belum ada percakapan)"
CARD_TRANSCRIPT_UNAVAILABLE = "(riwayat tidak tersedia saat ini)"
BUTTON_CLAIM = "Ambil"
BUTTON_CLOSE = "Tutup"
STAFF_CLAIMED = "✋ Tiket diambil oleh {name}."
STAFF_ALREADY_CLAIMED = "Tiket ini sudah diambil oleh {name}."
STAFF_CLOSED = "✅ Tiket #{number} ditutup oleh {who}."
STAFF_CLOSED_BY_APPLICANT = "✅ Pelamar menutup tiket #{number}."
STAFF_ALREADY_CLOSED = "Tiket ini sudah ditutup; pesan tidak dikirim ke pelamar."
STAFF_NOTE_SAVED = "📝 Catatan internal (tidak dikirim ke pelamar)."
STAFF_NOTE_EMPTY = "Tulis catatannya setelah perintah, misalnya: /catatan sudah dicek ke admin."
STAFF_BLOCKED = "⚠️ Pelamar memblokir bot; pesan tidak terkirim."
STAFF_NOT_DELIVERED = "⚠️ Pesan ini tidak bisa dikirim ke pelamar."
STAFF_UNKNOWN_COMMAND = (
    "Perintah di topik tiket: /ambil, /tutup, /catatan &lt;teks&gt;. Di General: /antrian, "
    "/statistik. Pesan lain dikirim ke pelamar."
)
STAFF_NOT_A_TICKET = "Topik ini bukan tiket. Perintah tiket dipakai di dalam topik tiket."
STAFF_ONLY = "Hanya staf yang bisa memakai tombol ini."
STAFF_TOPIC_RECREATED = "♻️ Topik tiket dibuat ulang karena topik sebelumnya terhapus."
STAFF_RATING = "⭐ Pelamar memberi nilai {score}/{best} untuk tiket #{number}."
STAFF_COMMENT = "💬 Komentar pelamar untuk tiket #{number}: {comment}"
STAFF_SLA_REMINDER = (
    "⏰ Tiket #{number} ({topic}) belum diambil selama {minutes} menit. Ketik /ambil di topiknya."
)
QUEUE_EMPTY = "Tidak ada tiket terbuka. 🎉"
QUEUE_HEADER = "<b>Antrean tiket terbuka ({count})</b>"
QUEUE_LINE = "• #{number} {topic} · umur {age} · {claimed} · {waiting}"
QUEUE_UNCLAIMED = "belum diambil"
QUEUE_CLAIMED = "diambil {name}"
QUEUE_WAITING = "pelamar menunggu {wait}"
QUEUE_ANSWERED = "sudah dibalas"
STATS = "<b>Statistik tiket</b>\n<b>Hari ini</b>: {today}\n<b>{days} hari terakhir</b>: {week}"
STATS_LINE = (
    "{opened} dibuka, median balasan pertama {first_reply}, median selesai {close}, "
    "rata-rata nilai {rating}"
)
STATS_NONE = "–"

# --- broadcasts (admins) ----------------------------------------------------------------------

BROADCAST_NOT_ADMIN = "Maaf, fitur siaran hanya untuk admin bot ini. 🙏"
BROADCAST_ASK = (
    "Silakan kirim isi siarannya: teks (boleh dengan format HTML Telegram) atau foto dengan "
    "keterangan. Saya tampilkan pratinjaunya dulu sebelum dikirim."
)
BROADCAST_FOOTER = "<i>Berhenti menerima kabar: /berhenti</i>"
BROADCAST_EMPTY = "Isi siaran masih kosong. Ketik /siaran lalu tulis pesannya."
BROADCAST_BAD_HTML = (
    "Format HTML-nya belum benar (ada tanda &lt; atau &gt; yang tidak berpasangan). "
    "Perbaiki lalu kirim /siaran lagi."
)
BROADCAST_BAD_TAG = (
    "Tag &lt;{tag}&gt; tidak didukung Telegram. Pakai b, i, u, s, a, code, pre, blockquote, "
    "atau tg-spoiler, lalu kirim /siaran lagi."
)
BROADCAST_BAD_LINK = "Tautan &lt;a&gt; perlu alamat href. Perbaiki lalu kirim /siaran lagi."
BROADCAST_UNBALANCED = (
    "Tag &lt;{tag}&gt; belum ditutup dengan benar. Perbaiki lalu kirim /siaran lagi."
)
BROADCAST_TOO_LONG = (
    "Pesannya terlalu panjang: {length} karakter (batas {limit}, termasuk catatan cara berhenti "
    "langganan). Persingkat lalu kirim /siaran lagi."
)
BROADCAST_PREVIEW_FAILED = (
    "Telegram menolak pratinjau ini ({reason}). Perbaiki lalu kirim /siaran lagi."
)
BROADCAST_AUTO_DRAFT = "🤖 <b>Draf otomatis</b> dari data gelombang terbaru.\n"
BROADCAST_PREVIEW_INFO = (
    "👆 Itu pratinjau siaran #{id}, persis seperti yang akan diterima pelanggan.\n"
    "Penerima: <b>{recipients}</b> pelanggan.\n"
    "Belum ada yang dikirim. Tekan <b>Kirim</b> untuk mulai atau <b>Batal</b>."
)
BUTTON_BROADCAST_SEND = "Kirim"
BUTTON_BROADCAST_DROP = "Batal"
BUTTON_BROADCAST_PAUSE = "Jeda"
BUTTON_BROADCAST_RESUME = "Lanjutkan"
BUTTON_BROADCAST_STOP = "Hentikan"
BROADCAST_DROPPED = "Siaran #{id} dibatalkan. Tidak ada pesan yang dikirim."
BROADCAST_ALREADY_HANDLED = "Siaran #{id} sudah diproses ({state})."
BROADCAST_STATE_DRAFT = "menunggu persetujuan"
BROADCAST_STATE_RUNNING = "sedang dikirim"
BROADCAST_STATE_PAUSED = "dijeda"
BROADCAST_STATE_DONE = "selesai"
BROADCAST_STATE_CANCELLED = "dihentikan"
BROADCAST_PROGRESS = (
    "📣 <b>Siaran #{id}</b> – {state}\n"
    "Terkirim: {sent}\n"
    "Gagal: {failed}\n"
    "Memblokir bot: {blocked}\n"
    "Tersisa: {remaining} dari {total}\n"
    "Kecepatan: {rate} pesan/detik\n"
    "Perkiraan: {eta}"
)
BROADCAST_ETA = "selesai sekitar {value} lagi"
BROADCAST_ETA_UNKNOWN = "menghitung…"
BROADCAST_SUMMARY_DONE = "✅ <b>Siaran #{id} selesai</b>"
BROADCAST_SUMMARY_CANCELLED = "⏹️ <b>Siaran #{id} dihentikan</b>"
BROADCAST_SUMMARY = (
    "Terkirim: {sent}\n"
    "Gagal: {failed}\n"
    "Memblokir bot: {blocked}\n"
    "Tidak dikirim: {remaining}\n"
    "Total penerima: {total}"
)
BROADCAST_STARS = "Bintang terpakai: {spent} dari anggaran {budget}"
BROADCAST_STATUS_EMPTY = "Belum ada siaran."
BROADCAST_STATUS_TITLE = "<b>Siaran terbaru</b>"
BROADCAST_STATUS_LINE = (
    "#{id}{origin} – {state}: terkirim {sent}, gagal {failed}, memblokir {blocked}, "
    "tersisa {remaining} dari {total}"
)
BROADCAST_ORIGIN_AUTO = " (otomatis)"

# Automatic drafts from the program API (what subscribers read).
GELOMBANG_OPEN_TITLE = "📢 <b>Gelombang {nomor} Kartu Prakerja sudah dibuka!</b>"
GELOMBANG_UPCOMING_TITLE = "📅 <b>Gelombang {nomor} Kartu Prakerja segera dibuka</b>"
GELOMBANG_DATES = "Pendaftaran dibuka: {dibuka}\nPendaftaran ditutup: {ditutup}"
GELOMBANG_HOW_TO_JOIN = (
    "<b>Cara ikut</b>\n"
    f"• Belum punya akun: daftar di {_SITUS}, lengkapi data diri dan Tes Kemampuan Dasar.\n"
    f'• Sudah punya akun: masuk ke {_DASHBOARD}, klik "Gabung Gelombang", lalu "Ya, Gabung".'
)
GELOMBANG_OFFICIAL_LINK = (
    f'Info resmi: <a href="https://{_SITUS}">{_SITUS}</a>. '
    "Jangan berikan kode OTP atau kata sandi kepada siapa pun."
)
