## ทุกหน้า

brand = Ticketbooth
language-switch = ภาษา
nav-account = บัญชีของฉัน
nav-sign-in = เข้าสู่ระบบ
sign-out = ออกจากระบบ
continue = ดำเนินการต่อ
back = ย้อนกลับ
price = { $amount } บาท

## ช่องในแบบฟอร์ม

field-email = อีเมล
field-password = รหัสผ่าน
field-new-password = รหัสผ่านใหม่
field-new-email = อีเมลใหม่
field-current-password = รหัสผ่านปัจจุบัน
field-first-name = ชื่อ
field-last-name = นามสกุล
field-phone = เบอร์โทรศัพท์
field-optional = ไม่บังคับ
password-rules = อย่างน้อย 10 ตัวอักษร ต้องไม่ใช่อีเมลของคุณ และต้องไม่ใช่รหัสผ่านที่คนทั่วไปใช้กันบ่อย

## เข้าสู่ระบบ

sign-in-title = เข้าสู่ระบบ
sign-in-button = เข้าสู่ระบบ
sign-in-forgot = ลืมรหัสผ่าน?
sign-in-no-account = ยังไม่มีบัญชี Ticketbooth?
sign-in-create = สมัครสมาชิก
sign-in-failed = อีเมลหรือรหัสผ่านไม่ถูกต้อง
sign-in-throttled = คุณลองหลายครั้งเกินไป โปรดลองใหม่อีกครั้งใน { $minutes } นาที

## สมัครสมาชิก

sign-up-title = สร้างบัญชีของคุณ
sign-up-intro = บัญชีเดียวสำหรับบัตรทั้งหมดของคุณ และสำหรับทุกแอปที่ให้คุณเข้าสู่ระบบด้วย Ticketbooth
sign-up-button = สร้างบัญชี
sign-up-have-account = มีบัญชีอยู่แล้ว?
sign-up-email-invalid = กรุณากรอกอีเมลให้ถูกต้อง เช่น name@example.com
sign-up-name-invalid = ชื่อและนามสกุลยาวได้ไม่เกิน 100 ตัวอักษร
sign-up-throttled = มีการสมัครด้วยอีเมลนี้บ่อยเกินไป โปรดลองใหม่อีกครั้งใน { $minutes } นาที
sign-up-sent-title = โปรดตรวจสอบกล่องจดหมาย
sign-up-sent-body = เราได้ส่งอีเมลไปที่ { $email } แล้ว กรุณาเปิดลิงก์ในอีเมลเพื่อยืนยันอีเมลของคุณ (ลิงก์ใช้ได้ภายใน 24 ชั่วโมง)
sign-up-sent-next = คุณใช้งานต่อได้เลย แล้วค่อยยืนยันอีเมลภายหลังก็ได้
password-too-short = รหัสผ่านต้องมีอย่างน้อย 10 ตัวอักษร
password-too-long = รหัสผ่านยาวได้ไม่เกิน 256 ตัวอักษร
password-same-as-email = รหัสผ่านต้องไม่ใช่อีเมลของคุณ
password-common = รหัสผ่านนี้มีคนใช้กันมากและเดาได้ง่าย กรุณาเลือกรหัสผ่านอื่น

## ยืนยันอีเมล

verify-done-title = ยืนยันอีเมลเรียบร้อยแล้ว
verify-done-body = ขอบคุณที่ยืนยัน อีเมลของคุณได้รับการยืนยันเรียบร้อยแล้ว
verify-banner = กรุณายืนยันอีเมลของคุณ เราได้ส่งลิงก์ยืนยันไปให้แล้วตอนที่คุณสมัครสมาชิก
verify-resend-button = ส่งลิงก์อีกครั้ง
verify-resent = เราได้ส่งลิงก์ใหม่ไปที่ { $email } แล้ว
link-invalid-title = ลิงก์นี้ใช้งานไม่ได้แล้ว
link-invalid-body = ลิงก์อาจหมดอายุ ถูกใช้ไปแล้ว หรือคัดลอกมาไม่ครบ กรุณาขอลิงก์ใหม่

## ตั้งรหัสผ่านใหม่

forgot-title = ตั้งรหัสผ่านใหม่
forgot-intro = กรอกอีเมลของบัญชีของคุณ แล้วเราจะส่งลิงก์สำหรับตั้งรหัสผ่านใหม่ไปให้
forgot-button = ส่งลิงก์
forgot-sent-title = โปรดตรวจสอบกล่องจดหมาย
forgot-sent-body = หากมีบัญชีที่ใช้อีเมล { $email } เราได้ส่งลิงก์สำหรับตั้งรหัสผ่านใหม่ไปแล้ว ลิงก์ใช้ได้ภายใน 1 ชั่วโมง
reset-title = ตั้งรหัสผ่านใหม่
reset-intro = เมื่อเปลี่ยนรหัสผ่านแล้ว อุปกรณ์อื่นทั้งหมดจะออกจากระบบ
reset-button = บันทึกรหัสผ่านใหม่
reset-done = เปลี่ยนรหัสผ่านเรียบร้อยแล้ว และคุณเข้าสู่ระบบแล้ว

## บัญชีของฉัน

account-title = บัญชีของฉัน
account-nav-profile = ข้อมูลส่วนตัว
account-nav-tickets = บัตรของฉัน
account-nav-apps = แอปที่เชื่อมต่อ
account-nav-sessions = อุปกรณ์ที่เข้าสู่ระบบ
account-signed-in-as = เข้าสู่ระบบด้วย { $email }
profile-title = ข้อมูลส่วนตัว
profile-save = บันทึก
profile-saved = บันทึกข้อมูลส่วนตัวเรียบร้อยแล้ว
email-title = อีเมล
email-unverified = ยังไม่ได้ยืนยัน
email-verified = ยืนยันแล้ว
email-change-intro = เราจะส่งลิงก์ไปที่อีเมลใหม่ และอีเมลของบัญชีจะเปลี่ยนเมื่อคุณเปิดลิงก์นั้น
email-change-button = เปลี่ยนอีเมล
email-change-sent = เราได้ส่งลิงก์ไปที่อีเมลใหม่แล้ว อีเมลของคุณจะเปลี่ยนเมื่อคุณเปิดลิงก์
email-changed = ตอนนี้อีเมลของคุณคือ { $email }
password-title = รหัสผ่าน
password-change-button = เปลี่ยนรหัสผ่าน
password-changed = เปลี่ยนรหัสผ่านเรียบร้อยแล้ว และอุปกรณ์อื่นได้ออกจากระบบแล้ว
password-current-wrong = รหัสผ่านปัจจุบันไม่ถูกต้อง
tickets-title = บัตรของฉัน
tickets-empty = คุณยังไม่มีบัตร
tickets-count = { $count } ใบ
ticket-type = ประเภทบัตร
ticket-reference = รหัสอ้างอิง
ticket-status = สถานะ
ticket-status-active = ใช้งานได้
ticket-status-used = เช็กอินแล้ว
ticket-status-revoked = ถูกยกเลิก
ticket-qr = คิวอาร์โค้ดของบัตร { $reference }
apps-title = แอปที่เชื่อมต่อ
apps-empty = คุณยังไม่ได้เชื่อมต่อแอปใดกับบัญชีของคุณ
apps-since = ตั้งแต่ { $date }
apps-revoke = ยกเลิกการเข้าถึง
sessions-title = อุปกรณ์ที่เข้าสู่ระบบ
sessions-intro = อุปกรณ์และเบราว์เซอร์ที่บัญชีของคุณเข้าสู่ระบบอยู่
sessions-this = อุปกรณ์นี้
sessions-started = เข้าสู่ระบบเมื่อ { $date }
sessions-from = จาก { $address }
sessions-unknown-browser = ไม่ทราบชื่อเบราว์เซอร์
sessions-end = ออกจากระบบ
sessions-end-others = ออกจากระบบในอุปกรณ์อื่นทั้งหมด

## หน้าแรก

home-title = บัญชี Ticketbooth ของคุณ
home-signed-in = เข้าสู่ระบบด้วย { $email }
home-signed-out = คุณยังไม่ได้เข้าสู่ระบบ แอปต่าง ๆ จะพาคุณมาที่นี่เพื่อเข้าสู่ระบบเมื่อคุณเชื่อมต่อแอปกับบัญชีของคุณ

## ขออนุญาต

consent-title = อนุญาต { $app }
consent-heading = { $app } ขออนุญาต
consent-signed-in = คุณเข้าสู่ระบบด้วย { $email } หากอนุญาต ระบบจะพาคุณไปที่ { $host }
consent-deny = ไม่อนุญาต
consent-approve = อนุญาต
consent-document-host = แอปนี้เผยแพร่โดย { $host } โปรดอนุญาตเฉพาะเมื่อคุณไว้วางใจ { $host }
consent-loopback-warning = แอปนี้ส่งกลับไปยังโปรแกรมบนอุปกรณ์ของคุณเท่านั้น โปรแกรมใดก็ใช้ชื่อนี้ได้ โปรดอนุญาตเฉพาะเมื่อคุณเพิ่งเปิดโปรแกรมนี้เอง
awaiting-approval-title = รอการอนุมัติ
awaiting-approval-body = แอปนี้เพิ่งเข้ามาใหม่ และทีมงาน Ticketbooth จะอนุมัติแอปใหม่ทุกแอปก่อนให้ผู้คนใช้งาน คำขอของแอปนี้อยู่ระหว่างการพิจารณา โปรดลองใหม่ภายหลัง
scope-public = ดูข้อมูลส่วนตัว คำสั่งซื้อ และบัตรของคุณ
scope-organizer = จัดการอีเวนต์ คำสั่งซื้อ และบัตรของผู้จัดงานที่คุณเป็นสมาชิก
scope-openid = ให้คุณเข้าสู่ระบบด้วยบัญชี Ticketbooth
scope-profile = ดูชื่อของคุณ
scope-email = ดูอีเมลของคุณ

## แอปตัวอย่าง

demo-title = หน้ารับผลของแอปตัวอย่าง

## ข้อผิดพลาด

error-hint = หากคุณมาจากลิงก์ของเว็บไซต์อื่น แสดงว่าลิงก์เข้าสู่ระบบของเว็บไซต์นั้นมีปัญหา กรุณาแจ้งเจ้าของเว็บไซต์
error-bad-request-title = ไม่สามารถดำเนินการตามคำขอนี้ได้
error-form-malformed = ข้อมูลในแบบฟอร์มไม่ถูกต้อง
error-csrf-title = แบบฟอร์มนี้หมดอายุแล้ว
error-csrf-body = แบบฟอร์มนี้ไม่ได้ส่งมาจากเว็บไซต์นี้หรือหมดอายุแล้ว กรุณาย้อนกลับ โหลดหน้าใหม่ แล้วลองอีกครั้ง
error-internal-title = เกิดข้อผิดพลาด
error-internal-body = ระบบไม่สามารถดำเนินการตามคำขอได้ กรุณาลองใหม่อีกครั้ง
error-unavailable-title = ระบบขัดข้องชั่วคราว
error-unavailable-body = ขณะนี้ระบบติดต่อฐานข้อมูลไม่ได้ กรุณาลองใหม่ในอีกไม่กี่วินาที
error-sign-in-busy-title = ระบบมีผู้ใช้งานจำนวนมาก
error-sign-in-busy-body = ขณะนี้มีผู้เข้าสู่ระบบพร้อมกันจำนวนมาก กรุณาลองใหม่ในอีกไม่กี่วินาที
error-page-failed = ไม่สามารถแสดงหน้านี้ได้
error-not-found-title = ไม่พบหน้านี้
error-not-found-body = ไม่มีหน้าเว็บที่ที่อยู่นี้
error-no-file = ไม่พบไฟล์นี้
error-no-demo = ไม่ได้เปิดโหมดตัวอย่าง
error-method-title = ไม่รองรับวิธีการนี้
error-method-body = ที่อยู่นี้ไม่รองรับคำขอแบบนี้
error-decision-missing = ต้องส่งแบบฟอร์มด้วยปุ่มอนุญาตหรือไม่อนุญาต
error-authorization-malformed = คำขออนุญาตมีรูปแบบไม่ถูกต้อง
error-sign-up-off = เซิร์ฟเวอร์นี้ปิดการสมัครสมาชิก กรุณาติดต่อผู้ดูแลระบบเพื่อขอบัญชี

## เดือน

month-1 = มกราคม
month-2 = กุมภาพันธ์
month-3 = มีนาคม
month-4 = เมษายน
month-5 = พฤษภาคม
month-6 = มิถุนายน
month-7 = กรกฎาคม
month-8 = สิงหาคม
month-9 = กันยายน
month-10 = ตุลาคม
month-11 = พฤศจิกายน
month-12 = ธันวาคม

## อีเมล

mail-greeting = สวัสดีคุณ{ $name }
mail-signature = ทีมงาน Ticketbooth
mail-ignore = หากคุณไม่ได้ทำรายการนี้ ไม่ต้องดำเนินการใด ๆ กับอีเมลฉบับนี้
mail-welcome-subject = ยืนยันอีเมลของคุณ
mail-welcome-body = ยินดีต้อนรับสู่ Ticketbooth กรุณายืนยันว่านี่คืออีเมลของคุณ โดยเปิดลิงก์นี้ภายใน 24 ชั่วโมง
mail-welcome-button = ยืนยันอีเมล
mail-exists-subject = มีผู้พยายามสมัครสมาชิกด้วยอีเมลของคุณ
mail-exists-body = มีผู้พยายามสร้างบัญชี Ticketbooth ใหม่ด้วยอีเมลนี้ ซึ่งอาจเป็นคุณเอง แต่คุณมีบัญชีอยู่แล้ว หากลืมรหัสผ่าน ตั้งรหัสผ่านใหม่ได้ที่ลิงก์นี้
mail-reset-subject = ตั้งรหัสผ่านใหม่
mail-reset-body = เราได้รับคำขอตั้งรหัสผ่านใหม่สำหรับบัญชี Ticketbooth ของคุณ ตั้งรหัสผ่านใหม่ได้โดยเปิดลิงก์นี้ภายใน 1 ชั่วโมง
mail-reset-button = ตั้งรหัสผ่านใหม่
mail-password-changed-subject = รหัสผ่านของคุณถูกเปลี่ยนแล้ว
mail-password-changed-body = รหัสผ่านของบัญชี Ticketbooth ของคุณเพิ่งถูกเปลี่ยน และอุปกรณ์อื่นทั้งหมดได้ออกจากระบบแล้ว หากคุณไม่ได้เปลี่ยนเอง กรุณาตั้งรหัสผ่านใหม่ทันที
mail-change-subject = ยืนยันอีเมลใหม่ของคุณ
mail-change-body = เปิดลิงก์นี้ภายใน 24 ชั่วโมง เพื่อใช้อีเมลนี้กับบัญชี Ticketbooth ของคุณ
mail-change-button = ยืนยันอีเมลใหม่
mail-changed-subject = อีเมลของคุณถูกเปลี่ยนแล้ว
mail-changed-body = อีเมลของบัญชี Ticketbooth ของคุณถูกเปลี่ยนเป็น { $email } แล้ว หากคุณไม่ได้เปลี่ยนเอง กรุณาติดต่อเราทันที
mail-no-account-subject = คำขอตั้งรหัสผ่านใหม่
mail-no-account-body = มีผู้ขอตั้งรหัสผ่านใหม่สำหรับบัญชี Ticketbooth ที่ใช้อีเมลนี้ ซึ่งอาจเป็นคุณเอง แต่ไม่มีบัญชีใดใช้อีเมลนี้ คุณอาจสมัครไว้ด้วยอีเมลอื่น หรือจะสร้างบัญชีใหม่ก็ได้
mail-no-account-button = สมัครสมาชิก
throttled = มีคำขอมากเกินไป โปรดลองใหม่อีกครั้งในอีกสักครู่

## Applications by request (mail)
mail-request-received-subject = เราได้รับคำขอแอปพลิเคชัน “{ $name }” แล้ว
mail-request-received-body = ทีมงานของแพลตฟอร์มจะตรวจสอบและแจ้งผลทางอีเมล คุณติดตามสถานะได้ที่พอร์ทัลนักพัฒนา
mail-request-button = เปิดพอร์ทัลนักพัฒนา
mail-request-review-subject = คำขอแอปพลิเคชันรอตรวจสอบ: “{ $name }”
mail-request-review-body = { $email } ขอแอปพลิเคชันสำหรับ API
mail-request-review-button = ตรวจสอบคำขอ
mail-request-approved-subject = “{ $name }” ได้รับการอนุมัติแล้ว
mail-request-approved-body = แอปพลิเคชันของคุณพร้อมใช้งาน รหัสลับของไคลเอนต์จะแสดงเพียงครั้งเดียว เมื่อคุณเปิดแอปพลิเคชันในพอร์ทัลนักพัฒนาครั้งแรก
mail-request-rejected-subject = “{ $name }” ไม่ได้รับการอนุมัติ
mail-request-rejected-body = เหตุผลจากผู้ตรวจสอบ: { $reason }
sign-in-disabled = บัญชีนี้ถูกระงับการใช้งาน โปรดติดต่อฝ่ายสนับสนุนของแพลตฟอร์ม

## Developer portal
account-nav-developers = นักพัฒนา
account-nav-admin = ผู้ดูแล
portal-title = พอร์ทัลนักพัฒนา
portal-intro = แอปพลิเคชันสำหรับ API สร้างได้ตามคำขอเท่านั้น อธิบายสิ่งที่คุณกำลังสร้าง ทีมงานของแพลตฟอร์มจะตรวจสอบทุกคำขอและแจ้งผลทางอีเมล
portal-request-button = ขอแอปพลิเคชัน
portal-apps-title = แอปพลิเคชันของฉัน
portal-apps-empty = คุณยังไม่มีแอปพลิเคชัน
portal-requests-title = คำขอของฉัน
portal-requests-empty = ไม่มีคำขอ
portal-status-pending = รอตรวจสอบ
portal-status-approved = อนุมัติแล้ว
portal-status-rejected = ไม่อนุมัติ
portal-status-suspended = ถูกระงับ
portal-change = เปลี่ยนขอบเขตหรือผู้จัดงาน
portal-rejected-reason = เหตุผล: { $reason }
portal-withdraw = ถอนคำขอ
portal-request-title = ขอแอปพลิเคชัน
portal-request-intro = ผู้ตรวจสอบจะเห็นข้อมูลทั้งหมดในหน้านี้
portal-field-name = ชื่อแอปพลิเคชัน
portal-field-description = คำอธิบาย
portal-field-website = เว็บไซต์
portal-field-redirect-uris = Redirect URI บรรทัดละหนึ่งรายการ
portal-redirect-hint = ต้องตรงกันทุกตัวอักษร ใช้ https ส่วน http ใช้ได้เฉพาะ 127.0.0.1 หรือ localhost แอปบนอุปกรณ์ใช้สคีมส่วนตัวได้ เช่น com.example.app:/callback และห้ามมี fragment
portal-field-type = ประเภทไคลเอนต์
portal-type-confidential = แบบเก็บความลับ: เซิร์ฟเวอร์ที่เก็บรหัสลับของไคลเอนต์ได้
portal-type-public = แบบสาธารณะ: แอปมือถือหรือแอปหน้าเดียว (ไม่มีรหัสลับ ใช้ PKCE)
portal-field-scopes = ขอบเขตสิทธิ์
portal-field-organizer = ทำงานแทนผู้จัดงาน
portal-organizer-none = ไม่มีผู้จัดงาน
portal-field-purpose = ต้องการใช้เพื่ออะไร
portal-request-submit = ส่งคำขอ
portal-problem-name = โปรดตั้งชื่อแอปพลิเคชัน
portal-problem-too-long = มีช่องที่ยาวเกินไป
portal-problem-website = เว็บไซต์ต้องเป็นที่อยู่ http หรือ https
portal-problem-redirect-missing = โปรดระบุ redirect URI อย่างน้อยหนึ่งรายการ
portal-problem-redirect-many = ระบุ redirect URI ได้ไม่เกิน 20 รายการ
portal-problem-redirect = redirect URI นี้ไม่ใช่ URI แบบสมบูรณ์ที่ไม่มี fragment
portal-problem-redirect-insecure = redirect URI นี้ต้องใช้ https (http ใช้ได้เฉพาะ 127.0.0.1 หรือ localhost)
portal-problem-scopes = โปรดเลือกขอบเขตสิทธิ์อย่างน้อยหนึ่งรายการ
portal-problem-scope-unknown = ไม่รู้จักขอบเขตสิทธิ์
portal-problem-organizer = ระบุได้เฉพาะผู้จัดงานที่คุณเป็นสมาชิก
portal-problem-organizer-scope = ผู้จัดงานต้องใช้คู่กับขอบเขต organizer และไคลเอนต์แบบเก็บความลับ
portal-client-id = Client ID
portal-client-secret = รหัสลับของไคลเอนต์
portal-secret-once = คัดลอกไว้ตอนนี้ รหัสนี้แสดงเพียงครั้งเดียว
portal-secret-hidden = ซ่อนอยู่ แสดงไปแล้วหนึ่งครั้ง หากทำหายให้สร้างใหม่
portal-public-client = ไม่มี ไคลเอนต์แบบสาธารณะยืนยันตัวตนด้วย PKCE
portal-previous-secret = รหัสลับเดิม
portal-previous-until = ยังใช้ได้ถึง { $date }
portal-usage-day = โทเค็นที่ออกใน 24 ชั่วโมงที่ผ่านมา
portal-usage-month = โทเค็นที่ออกใน 30 วันที่ผ่านมา
portal-usage-users = ผู้ที่ให้สิทธิ์เข้าถึง
portal-usage-last = ออกโทเค็นล่าสุดเมื่อ
portal-never = ยังไม่เคย
portal-change-pending = การเปลี่ยนขอบเขตสิทธิ์เป็น { $scopes } กำลังรอการตรวจสอบ
portal-try-title = ลองใช้งาน
portal-authorize-url = URL สำหรับขอสิทธิ์
portal-exchange = แลกรหัสเป็นโทเค็น
portal-call = เรียก API
portal-client-credentials = โทเค็นสำหรับผู้จัดงานของคุณ
portal-rotate-title = เปลี่ยนรหัสลับ
portal-grace = รหัสลับเดิมยังใช้ได้อีก
portal-days = { $count } วัน
portal-rotate-button = สร้างรหัสลับใหม่
portal-edit-title = แก้ไข
portal-edit-review-hint = การเปลี่ยนขอบเขตสิทธิ์หรือผู้จัดงานต้องรอตรวจสอบใหม่ ส่วนอื่นมีผลทันที
portal-save = บันทึก
portal-delete-title = ลบ
portal-delete-button = ลบแอปพลิเคชันนี้
portal-done-requested = ส่งคำขอแล้ว เราจะแจ้งผลทางอีเมล
portal-done-withdrawn = ถอนคำขอแล้ว
portal-done-deleted = ลบแอปพลิเคชันแล้ว
portal-done-saved = บันทึกแล้ว
portal-done-review = บันทึกแล้ว การเปลี่ยนขอบเขตสิทธิ์หรือผู้จัดงานกำลังรอตรวจสอบ
portal-done-rotated = สร้างรหัสลับใหม่แล้ว
portal-done-suspended = ระงับแอปพลิเคชันและเพิกถอนโทเค็นแล้ว
portal-done-resumed = เปิดใช้แอปพลิเคชันอีกครั้งแล้ว
portal-done-approved = อนุมัติคำขอแล้ว
portal-done-rejected = ปฏิเสธคำขอแล้ว
portal-done-disabled = ระงับบัญชีแล้ว
portal-done-enabled = เปิดใช้บัญชีแล้ว
portal-done-reset = ส่งลิงก์ตั้งรหัสผ่านใหม่แล้ว
portal-done-role = เปลี่ยนบทบาทแล้ว
portal-done-member = บันทึกแล้ว
portal-done-created = สร้างแล้ว
portal-error-not-pending = คำขอนี้ได้รับการตรวจสอบไปแล้ว
portal-error-scopes = โปรดให้สิทธิ์อย่างน้อยหนึ่งขอบเขต และเฉพาะที่ขอมาเท่านั้น
portal-error-grace = ระยะผ่อนผันคือ 0 ถึง 7 วัน
portal-error-last-admin = แพลตฟอร์มต้องมีผู้ดูแลอย่างน้อยหนึ่งคน
portal-error-no-secret = ไคลเอนต์แบบสาธารณะไม่มีรหัสลับ
portal-error-reason = โปรดระบุเหตุผลที่ปฏิเสธ

## Admin console
admin-title = คอนโซลผู้ดูแล
admin-nav-requests = คำขอ
admin-nav-apps = แอปพลิเคชัน
admin-nav-users = ผู้ใช้
admin-nav-organizers = ผู้จัดงาน
admin-nav-audit = บันทึกการตรวจสอบ
admin-requester = ผู้ขอ
admin-requested-at = ขอเมื่อ
admin-grant-scopes = ขอบเขตสิทธิ์ที่ให้
admin-arrivals = ไคลเอนต์ใหม่ที่รอการอนุมัติ
admin-arrivals-about = เอเจนต์ AI และโปรแกรมอื่นที่ระบุตัวตนด้วยเอกสารเมทาดาทา หรือลงทะเบียนด้วยตนเอง แต่ละรายการจะรอจนกว่าคุณจะอนุมัติ
admin-arrival-review = อนุมัติไคลเอนต์นี้หรือไม่
admin-arrival-redirects = ส่งผู้ใช้กลับไปที่
admin-origin-console = สร้างโดยทีมงาน
admin-origin-document = เอกสารเมทาดาทา
admin-origin-registration = ลงทะเบียนด้วยตนเอง
admin-review-approved = อนุมัติแล้ว
admin-review-pending = รอการอนุมัติ
admin-review-rejected = ปฏิเสธแล้ว
admin-reason = เหตุผล
admin-reason-hint = จำเป็นเมื่อปฏิเสธ ผู้ขอจะเห็นข้อความนี้
admin-approve = อนุมัติ
admin-reject = ปฏิเสธ
admin-search = ค้นหา
admin-search-apps = ชื่อหรือ Client ID
admin-search-users = อีเมลหรือชื่อ
admin-owner = เจ้าของ
admin-owner-none = สร้างโดยผู้ดูแลระบบ
admin-suspend = ระงับ
admin-resume = เปิดใช้อีกครั้ง
admin-role-admin = ผู้ดูแล
admin-disabled = ถูกระงับ
admin-none = ไม่มี
admin-send-reset = ส่งลิงก์ตั้งรหัสผ่านใหม่
admin-disable = ระงับบัญชี
admin-enable = เปิดใช้บัญชี
admin-grant-admin = ตั้งเป็นผู้ดูแล
admin-revoke-admin = ถอดบทบาทผู้ดูแล
admin-organizer-name = ชื่อผู้จัดงานใหม่
admin-organizer-create = สร้างผู้จัดงาน
admin-member-email = อีเมลของสมาชิก
admin-add-member = เพิ่มสมาชิก
admin-remove-member = นำออก
admin-audit-when = เมื่อ
admin-audit-who = ผู้กระทำ
admin-audit-action = การกระทำ
admin-audit-target = เป้าหมาย
admin-audit-change = การเปลี่ยนแปลง
admin-audit-older = รายการก่อนหน้า
error-forbidden-title = ไม่ได้รับอนุญาต
error-busy-title = มีคำขอมากเกินไป
error-admin-only = หน้านี้สำหรับผู้ดูแลแพลตฟอร์มเท่านั้น
portal-error-too-many = คำขอของคุณรอตรวจสอบพร้อมกันได้ไม่เกิน 5 รายการ โปรดถอนคำขอหนึ่งรายการ หรือรอผลการตรวจสอบ

## เชื่อมต่ออุปกรณ์

device-title = เชื่อมต่ออุปกรณ์
device-intro = กรอกรหัสที่แสดงบนอุปกรณ์ของคุณ เช่น เครื่องสแกนหน้างานหรือจอขายบัตร
device-code-label = รหัสอุปกรณ์
device-continue = ดำเนินการต่อ
device-signed-in = คุณเข้าสู่ระบบด้วย { $email }
device-code-wrong = รหัสไม่ถูกต้องหรือหมดอายุแล้ว โปรดตรวจสอบรหัสบนอุปกรณ์ของคุณ
device-code-used = รหัสนี้ถูกใช้ไปแล้ว โปรดเริ่มใหม่บนอุปกรณ์เพื่อรับรหัสใหม่
device-confirm-heading = เชื่อมต่อ { $app } หรือไม่
device-confirm-check = ตรวจสอบว่าอุปกรณ์ของคุณแสดงรหัสนี้ หากไม่ใช่ โปรดกดไม่อนุญาต
device-confirm-scopes = อุปกรณ์จะสามารถ:
device-approved-title = เชื่อมต่ออุปกรณ์แล้ว
device-approved-body = { $app } เข้าสู่ระบบแล้ว คุณกลับไปที่อุปกรณ์ได้เลย
device-denied-title = ปฏิเสธคำขอแล้ว
device-denied-body = อุปกรณ์ไม่ได้เข้าสู่ระบบ คุณปิดหน้านี้ได้

## ออกจากระบบตามคำขอของแอป

logout-title = ออกจากระบบ Ticketbooth หรือไม่
logout-asked-by = { $app } ขอให้คุณออกจากระบบ
logout-question = คุณจะออกจากระบบที่นี่และในแอปที่เชื่อมต่อไว้ซึ่งรองรับการออกจากระบบพร้อมกัน
logout-stay = อยู่ในระบบต่อ
signed-out-title = คุณออกจากระบบแล้ว
signed-out-body = คุณปิดหน้านี้ได้
